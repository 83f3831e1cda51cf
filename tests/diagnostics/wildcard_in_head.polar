# expect: `_` in a rule head
# at 9:9 a head argument must be a variable bound in the body, or a constant
actor User {}
resource Review {}

declare manager(User, User);
declare review_of(Review, User);

manages(_, e: User) if manager(_, e);
