# expect: `@current_unix_time` compared with `t - s`, which is not a variable ± a constant
# at 9:69 the other side must be a variable, or a variable plus or minus a constant
actor Doctor {}
resource Patient {}

declare visit(Doctor, Patient, Integer);
declare grace(Doctor, Integer);

recent(d: Doctor, p: Patient) if visit(d, p, t) and grace(d, s) and t - s > @current_unix_time;
