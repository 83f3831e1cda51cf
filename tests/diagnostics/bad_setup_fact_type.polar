# expect: bad fact in a test setup: `Review{"r1"}` is not a `User`
# at 13:26 the second argument of `manager` must be a `User`
actor User {}
resource Review {}

declare manager(User, User);
declare review_of(Review, User);

manages(m: User, e: User) if manager(m, e);

test "a bad fact" {
  setup {
    manager(User{"ceo"}, Review{"r1"});
  }
  assert_not manages(User{"ceo"}, User{"vp"});
}
