# expect: unsafe rule: variable `years` in a comparison is not bound
# at 7:36 `years` is bound by no positive atom, so the comparison cannot be evaluated
actor User {}

declare employee(User);

senior(u: User) if employee(u) and years > 10;
