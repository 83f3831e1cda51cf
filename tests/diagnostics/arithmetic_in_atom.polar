# expect: arithmetic inside an atom argument
# at 8:66 atom arguments must be variables, `_` or constants; bind `u = t + 604800` first
actor Doctor {}
resource Patient {}

declare visit(Doctor, Patient, Integer);

revisit(d: Doctor, p: Patient) if visit(d, p, t) and visit(d, p, t + 604800);
