# expect: undeclared predicate `manger` in a rule body (neither declared nor defined by a rule)
# at 9:30 `manger` has no `declare` and no rule (did you mean `manager`?)
actor User {}
resource Review {}

declare manager(User, User);
declare review_of(Review, User);

manages(m: User, e: User) if manger(m, e);
