# expect: unsafe rule: variable `m` appears only inside `not` (use `_`)
# at 9:55 `m` is bound by no positive atom; write `_` if any value will do
actor User {}
resource Review {}

declare manager(User, User);
declare review_of(Review, User);

unmanaged(e: User) if review_of(_, e) and not manager(m, e);
