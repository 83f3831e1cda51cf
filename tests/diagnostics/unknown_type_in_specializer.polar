# expect: unknown entity type `Usr` in a head specializer
# at 9:12 `Usr` is not declared by an `actor` or `resource` block (did you mean `User`?)
actor User {}
resource Review {}

declare manager(User, User);
declare review_of(Review, User);

manages(m: Usr, e: User) if manager(m, e);
