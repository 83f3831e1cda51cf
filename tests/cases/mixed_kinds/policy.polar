# Comparisons between values of different kinds: ordering holds only
# between two integers or two strings; `=` and `!=` compare structurally;
# arithmetic on a non-integer makes the comparison false. Booleans as values.

actor User {}
resource Item {}

declare age(User, Integer);
declare label(Item, String);
declare price(Item, Integer);
declare flag(User, Boolean);
declare tag(Item, String);

# a string is never less than an integer
weird(i: Item) if label(i, l) and price(i, p) and l < p;
# nor greater or equal
weird(i: Item) if label(i, l) and price(i, p) and l >= p;
# a string is never equal to an integer, so `!=` holds
mixed_ne(i: Item) if label(i, l) and price(i, p) and l != p;
# "18" is a string, not the integer 18
str_age(u: User) if age(u, a) and a = "18";
# the integer 18 matches
int_age(u: User) if age(u, a) and a = 18;
# a tag that reads like a number is a string ...
tag_is_seven(i: Item) if tag(i, t) and t = "7";
# ... never equal to an integer
tag_eq_int(i: Item) if tag(i, t) and t = 7;
# arithmetic on a string makes the comparison false
str_plus(i: Item) if label(i, l) and l + 1 > 0;
# and an `=` binding from it binds nothing
str_succ(i: Item, n: Integer) if label(i, l) and n = l + 1;
# a boolean constant in an atom
flagged(u: User) if flag(u, true);
# a boolean compared with `=`
flagged_eq(u: User) if flag(u, b) and b = true;
# a boolean compared with `!=`
unflagged(u: User) if flag(u, b) and b != true;
# booleans do not order
bool_order(u: User) if flag(u, b) and b < true;
# entities compare structurally with `=` ...
self_pair(x: User, y: User) if age(x, _) and age(y, _) and x = y;
# ... but do not order
entity_order(x: User, y: User) if age(x, _) and age(y, _) and x < y;
# the flag of u, as a value
flag_of(u: User, b: Boolean) if flag(u, b);
