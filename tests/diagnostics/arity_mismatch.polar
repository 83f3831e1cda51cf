# expect: `manages` is defined with 2 arguments but used with 1
# at 10:21 `manages` takes 2 arguments, here it has 1
actor User {}
resource Review {}

declare manager(User, User);
declare review_of(Review, User);

manages(m: User, e: User) if manager(m, e);
is_boss(m: User) if manages(m);
