"""crl export --format onnx against crl_policy_act (run by export_onnx_test.sh).

    export_onnx_check.py WORK NAME...

For each NAME, WORK/gen_NAME/policy.onnx is the exported model,
WORK/gen_NAME/obs.bin float32 observations and ref.bin crl_policy_act's
records (int32 status, act_dim float32), as export_ref writes them.

Each model must pass onnx.checker.check_model(full_check=True) and strict
shape inference, declare IR version 7, opset 13 of the default domain, the
input "obs" float [N, obs_dim] and the output "action" float [N, act_dim]
(int64 [N, 1] for argmax) with N symbolic. It is then evaluated by the
interpreter below, which knows exactly the operators crl emits, with ONNX's
semantics in float32 and the initializers read by onnx.numpy_helper, on
all observations as one batch (and on the first row alone: within the
same tolerance, numpy's matrix-vector product summing in another order).
Its actions must be crl's within float rounding:
    |a - b| <= 1e-4 * max(1, |b|)
(python/crl_policy.py's test allows the same: crl computes the normaliser
and action transform in double and sums in another order; float32
rounding, 6e-8, grows through up to 4 layers of 64 with random weights of
gain 2 to 3, and the tanh-scaled actions span up to 16. Measured worst:
about 2e-5, sac_relu, against a float64 evaluation of the graph as
much for the float32 graph as for crl); an argmax action equal unless the
two largest outputs are within that tolerance (a tie under rounding). Observations crl_policy_act refuses (non-finite: status 1) are
not compared: the graph does not refuse them, and the test checks only
that it runs on them. Prints ok/FAIL lines; exit 1 on any failure."""
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

TOL = 1e-4
work, names = sys.argv[1], sys.argv[2:]
failed = 0


def check(cond, what, detail=""):
    global failed
    print(("ok    " if cond else "FAIL  ") + what + ("" if cond else "\n      " + detail))
    failed += 0 if cond else 1


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def gemm(x, a):
    assert a.pop("alpha", 1.0) == 1.0 and a.pop("beta", 1.0) == 1.0
    assert a.pop("transA", 0) == 0
    w, b = x[1], x[2]
    return x[0] @ (w.T if a.pop("transB", 0) else w) + b


def argmax(x, a):
    assert a.pop("select_last_index", 0) == 0  # the first largest, as crl
    return np.argmax(x[0], axis=a.pop("axis", 0), keepdims=bool(a.pop("keepdims", 1))).astype(np.int64)


# ONNX's definitions of the operators crl writes, in numpy (float32 in,
# float32 out: numpy keeps the type). Anything else is an error.
OPS = {
    "Sub": lambda x, a: x[0] - x[1],
    "Mul": lambda x, a: x[0] * x[1],
    "Add": lambda x, a: x[0] + x[1],
    "Clip": lambda x, a: np.minimum(np.maximum(x[0], x[1]), x[2]),
    "Gemm": gemm,
    "Tanh": lambda x, a: np.tanh(x[0]),
    "Relu": lambda x, a: np.maximum(x[0], np.float32(0)),
    "Max": lambda x, a: np.maximum(x[0], x[1]),
    "Min": lambda x, a: np.minimum(x[0], x[1]),
    "ArgMax": argmax,
}


def evaluate(model, obs, result=None):
    g = model.graph
    values = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    for t in values.values():
        assert t.dtype == np.float32, t.dtype
    values["obs"] = obs.astype(np.float32)
    for node in g.node:
        if node.op_type not in OPS or node.domain not in ("", "ai.onnx"):
            raise ValueError(f"operator {node.domain}:{node.op_type} not known to the check")
        a = attrs(node)
        y = OPS[node.op_type]([values[i] for i in node.input], a)
        if a:
            raise ValueError(f"{node.op_type}: attributes not understood: {sorted(a)}")
        assert len(node.output) == 1
        values[node.output[0]] = y
    return values[result or g.output[0].name]


def shape_of(vi):
    t = vi.type.tensor_type
    return t.elem_type, [d.dim_param if d.HasField("dim_param") else d.dim_value for d in t.shape.dim]


for name in names:
    d = os.path.join(work, "gen_" + name)
    path = os.path.join(d, "policy.onnx")
    model = onnx.load(path)
    try:
        onnx.checker.check_model(model, full_check=True)
        onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
        check(True, f"{name}: onnx.checker (full check) and strict shape inference pass")
    except Exception as e:  # noqa: BLE001 (any checker error is the failure)
        check(False, f"{name}: onnx.checker", str(e))
        continue
    opsets = {o.domain: o.version for o in model.opset_import}
    g = model.graph
    ins = [i for i in g.input if i.name not in {t.name for t in g.initializer}]
    check(model.ir_version == 7 and opsets == {"": 13} and len(ins) == 1 and len(g.output) == 1,
          f"{name}: IR version 7, opset 13, one input and one output",
          f"ir {model.ir_version}, opsets {opsets}, inputs {len(ins)}, outputs {len(g.output)}")
    in_type, in_shape = shape_of(ins[0])
    out_type, out_shape = shape_of(g.output[0])
    D = in_shape[1]
    argmax_policy = any(n.op_type == "ArgMax" for n in g.node)
    A = out_shape[1]
    want_out = onnx.TensorProto.INT64 if argmax_policy else onnx.TensorProto.FLOAT
    check(ins[0].name == "obs" and in_type == onnx.TensorProto.FLOAT and in_shape[0] == "N"
          and g.output[0].name == "action" and out_type == want_out and out_shape[0] == "N"
          and (A == 1 or not argmax_policy),
          f"{name}: obs float [N, {D}] -> action {'int64' if argmax_policy else 'float'} [N, {A}]",
          f"{ins[0].name} {in_type} {in_shape} -> {g.output[0].name} {out_type} {out_shape}")

    obs = np.fromfile(os.path.join(d, "obs.bin"), dtype="<f4").reshape(-1, D)
    rec = np.fromfile(os.path.join(d, "ref.bin"), dtype=np.dtype([("s", "<i4"), ("a", "<f4", (A,))]))
    check(len(rec) == len(obs), f"{name}: one crl record per observation", f"{len(rec)} vs {len(obs)}")
    try:
        with np.errstate(all="ignore"):  # the non-finite rows may overflow
            got = evaluate(model, obs)
            one = evaluate(model, obs[:1])
    except Exception as e:  # noqa: BLE001
        check(False, f"{name}: the graph evaluates", repr(e))
        continue
    same = np.array_equal(one, got[:1]) if argmax_policy else bool(
        np.all(np.abs(one - got[:1]) <= TOL * np.maximum(1.0, np.abs(got[:1]))))
    check(got.shape == (len(obs), A) and same,
          f"{name}: a batch of {len(obs)} and of 1 give [N, {A}], row for row", f"{got.shape}")
    status = rec["s"]
    refused = int(np.sum(status == 1))
    check(refused == 3 and status.min() >= 0 and status.max() <= 1,
          f"{name}: crl_policy_act refuses the 3 non-finite observations (the graph does not)",
          f"statuses {np.unique(status)}, {refused} refused")
    keep = status == 0
    want = rec["a"][keep].astype(np.float64)
    have = got[keep]
    if argmax_policy:
        wrong = np.nonzero(have[:, 0] != want[:, 0])[0]
        # The network's outputs, to tell a tie under rounding from an error.
        y_name = [n for n in g.node if n.op_type == "ArgMax"][0].input[0]
        y = evaluate(model, obs[keep], y_name)
        ties = 0
        for i in wrong:
            top = np.sort(y[i])[-2:]
            ties += bool(top[1] - top[0] <= TOL * max(1.0, abs(top[1])))
        check(len(wrong) == ties, f"{name}: argmax actions are crl_policy_act's ({int(keep.sum())} "
              f"observations, {ties} ties under rounding)", f"{len(wrong) - ties} disagree")
        continue
    err = np.abs(have.astype(np.float64) - want) / np.maximum(1.0, np.abs(want))
    worst = float(err.max())
    check(bool(np.all(np.isfinite(have))) and worst <= TOL,
          f"{name}: actions are crl_policy_act's within {TOL:g} (worst relative error "
          f"{worst:.2g}, {int(keep.sum())} observations)",
          f"{int(np.sum(err > TOL))} beyond")
sys.exit(1 if failed else 0)
