# expect: unsafe rule: `_` in a comparison
# at 7:33 `_` in a comparison matches nothing; compare a bound variable
actor User {}

declare age(User, Integer);

adult(u: User) if age(u, a) and _ >= 18;
