# expect: unsafe rule: head variable `u` is not bound by any positive atom in the body
# at 9:16 `u` appears in the head but in no positive atom of the body
actor User {}
resource Review {}

declare manager(User, User);
declare review_of(Review, User);

has_permission(u: User, "read", r: Review) if review_of(r, e);
