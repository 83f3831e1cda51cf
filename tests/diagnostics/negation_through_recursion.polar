# expect: negation through recursion: `win` depends negatively on itself
# at 8:40 `win` is defined through `not win(…)`; negation must not go through recursion
resource Position {}

declare move(Position, Position);

# a position is winning if some move leads to a position that is not winning
win(x: Position) if move(x, y) and not win(y);
