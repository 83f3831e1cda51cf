# Comparisons and integer arithmetic: ordering on integers and on strings
# (by UTF-8 bytes), `x = expr` binding, precedence and associativity,
# negative results, and overflow (which makes a comparison false).

actor User {}
resource Item {}

declare age(User, Integer);
declare limit(User, Integer);
declare price(Item, Integer);
declare qty(Item, Integer);
declare label(Item, String);
declare big(Integer);

# an adult is at least 18
adult(u: User) if age(u, a) and a >= 18;
# exactly 18
just_adult(u: User) if age(u, a) and a = 18;
# n is u's age next year (`=` binds n)
age_next_year(u: User, n: Integer) if age(u, a) and n = a + 1;
# x is older than y
older(x: User, y: User) if age(x, a) and age(y, b) and a > b;
# x is exactly two years older than y (arithmetic on one side of `=`)
two_apart(x: User, y: User) if age(x, a) and age(y, b) and a - b = 2;
# x is younger than y by d, a negative number
younger_by(x: User, y: User, d: Integer) if age(x, a) and age(y, b) and d = a - b and d < 0;
# subtraction associates to the left: 100 - a - 10 = (100 - a) - 10
countdown(u: User, r: Integer) if age(u, a) and r = 100 - a - 10;
# multiplication binds tighter than addition: a + a * 2 = 3a
score(u: User, s: Integer) if age(u, a) and s = a + a * 2;

# the total of an item is its price times its quantity
total(i: Item, t: Integer) if price(i, p) and qty(i, q) and t = p * q;
# a user can buy an item whose total is within their limit
can_buy(u: User, i: Item) if limit(u, l) and total(i, t) and t <= l;

# x's label sorts before y's label, by UTF-8 bytes
before(x: Item, y: Item) if label(x, a) and label(y, b) and a < b;
# labels in ["apple", "zebra")
mid(i: Item) if label(i, l) and l >= "apple" and l < "zebra";

# y = x + 1, unless that overflows
succ(x: Integer, y: Integer) if big(x) and y = x + 1;
# 2x is positive, unless 2x overflows
doubled(x: Integer) if big(x) and x * 2 > 0;
