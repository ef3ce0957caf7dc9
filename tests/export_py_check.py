"""python/crl_policy.py against crl_policy_act (run by export_py_test.sh).

    export_py_check.py PYTHON_DIR WORK NAME...

For each policy WORK/pol/NAME.crlp, WORK/gen_NAME/obs.bin holds float32
observations and ref.bin crl_policy_act's records (int32 status, act_dim
float32), as export_ref writes them. The reader's actions must be crl's
within float rounding: |a - b| <= 1e-4 * max(1, |b|) (float32 sums in
another order, through at most 4 layers of 64); a discrete action equal
unless the two largest outputs are within 1e-4 (a tie under rounding).
Then damaged files: truncated, bad checksum, wrong version, a checkpoint,
not a crl file, each a PolicyFormatError that says so. Prints ok/FAIL
lines; exit 1 on any failure."""
import os
import struct
import sys

import numpy as np

sys.path.insert(0, sys.argv[1])
import crl_policy  # noqa: E402

work, names = sys.argv[2], sys.argv[3:]
failed = 0


def check(cond, what, detail=""):
    global failed
    print(("ok    " if cond else "FAIL  ") + what + ("" if cond else "\n      " + detail))
    failed += 0 if cond else 1


for name in names:
    path = os.path.join(work, "pol", name + ".crlp")
    p = crl_policy.load(path)
    d = os.path.join(work, "gen_" + name)
    obs = np.fromfile(os.path.join(d, "obs.bin"), dtype="<f4").reshape(-1, p.obs_dim)
    A = p.act_dim
    rec = np.fromfile(os.path.join(d, "ref.bin"), dtype=np.dtype([("s", "<i4"), ("a", "<f4", (A,))]))
    worst, bad, ties = 0.0, 0, 0
    for x, r in zip(obs, rec):
        try:
            a = p.act(x)
            status = 0
        except ValueError:
            status = 1
        if status != r["s"]:
            bad += 1
            continue
        if status:
            continue
        want = r["a"].astype(np.float64)
        if p.output == crl_policy.OUT_ARGMAX:
            if a[0] != want[0]:
                y = p.logits(x)
                top = np.sort(y)[-2:]
                if top[1] - top[0] <= 1e-4 * max(1.0, abs(top[1])):
                    ties += 1
                else:
                    bad += 1
            continue
        err = np.max(np.abs(a - want) / np.maximum(1.0, np.abs(want)))
        worst = max(worst, err)
        bad += err > 1e-4
    check(bad == 0, f"{name}: reader's actions are crl_policy_act's (worst relative "
          f"error {worst:.2g}, argmax ties {ties}, {len(rec)} observations)",
          f"{bad} disagree")

# ---- damaged files ----------------------------------------------------------
good = open(os.path.join(work, "pol", names[0] + ".crlp"), "rb").read()


def refused(what, data, words):
    bad_path = os.path.join(work, "damaged.crlp")
    with open(bad_path, "wb") as f:
        f.write(data)
    try:
        crl_policy.load(bad_path)
    except crl_policy.PolicyFormatError as e:
        check(words in str(e) and bad_path in str(e), f"{what}: {e}", f"wanted '{words}'")
        return
    check(False, what, "loaded")


def resum(b):
    b = bytearray(b)
    b[-8:] = struct.pack("<Q", crl_policy.fnv1a64(bytes(b[:-8])))
    return bytes(b)


refused("truncated file", good[:len(good) // 2], "checksum mismatch")
refused("truncated to a few bytes", good[:20], "truncated")
flipped = bytearray(good)
flipped[len(good) // 2] ^= 0x40
refused("bad checksum", bytes(flipped), "checksum mismatch")
refused("wrong version", resum(good[:8] + struct.pack("<I", 7) + good[12:]), "format version 7")
refused("a checkpoint", resum(good[:12] + struct.pack("<I", 2) + good[16:]), "holds a checkpoint")
refused("not a crl file", b"NOTCRL\0\0" + good[8:], "not a crl file")
short = bytearray(good[:-8])  # a section count beyond the bytes, re-summed
short[16:24] = struct.pack("<Q", 10**6)
refused("implausible section count", resum(bytes(short) + b"\0" * 8), "implausible section count")
sys.exit(1 if failed else 0)
