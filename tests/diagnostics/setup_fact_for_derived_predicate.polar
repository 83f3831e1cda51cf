# expect: bad fact in a test setup: `manages` is not declared, so it takes no facts
# at 13:5 facts may only be inserted for predicates with a `declare`
actor User {}
resource Review {}

declare manager(User, User);
declare review_of(Review, User);

manages(m: User, e: User) if manager(m, e);

test "facts only for declared predicates" {
  setup {
    manages(User{"ceo"}, User{"vp"});
  }
  assert manages(User{"ceo"}, User{"vp"});
}
