# expect: unsafe rule: variable `m` appears only inside `not (…)`
# at 9:57 `m` is bound only inside `not (…)`; variables there must be bound outside, `_` is the only existential
actor User {}
resource Review {}

declare manager(User, User);
declare review_of(Review, User);

skip_level(e: User) if review_of(_, e) and not (manager(m, e) and manager(_, m));
