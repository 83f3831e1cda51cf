# expect: `review_of` is declared with 2 arguments but used with 3
# at 9:47 `review_of` takes 2 arguments, here it has 3
actor User {}
resource Review {}

declare manager(User, User);
declare review_of(Review, User);

has_permission(e: User, "read", r: Review) if review_of(r, e, "2024");
