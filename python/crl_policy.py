"""Read a crl policy file (.crlp) with numpy alone and compute its actions.

    import crl_policy
    policy = crl_policy.load("pendulum.crlp")
    action = policy.act(obs)          # obs: [obs_dim] or [batch, obs_dim]

The format is documented byte by byte in docs/policy-format.md. The reader
checks the magic, the format version, the kind (a policy, not a checkpoint)
and the FNV-1a checksum before it trusts anything, then every section it
uses (type, count), and raises PolicyFormatError with a message naming the
file and what is wrong. Actions follow crl_policy_act: the observation
normaliser in float64, the network in the precision the file was written
in (float32 from a float build), then clip / tanh scaling / argmax in
float64. numpy sums in its own order, so actions agree with crl's to
float rounding, not bit for bit (`crl export --format c` is bit-exact).
"""

import struct

import numpy as np

MAGIC = b"CRLFILE\0"
KIND_POLICY, KIND_CHECKPOINT = 1, 2
VERSION_POLICY = 1
TYPES = {1: ("u1", 1), 2: ("<i8", 8), 3: ("<f4", 4), 4: ("<f8", 8)}
ACT_IDENTITY, ACT_TANH, ACT_RELU = 0, 1, 2
OUT_CLIP, OUT_TANH, OUT_ARGMAX = 0, 1, 2
SPACE_BOX, SPACE_DISCRETE = 0, 1


class PolicyFormatError(ValueError):
    """The file is not a policy crl wrote, or is damaged."""


def fnv1a64(data):
    """FNV-1a, 64 bits, of a bytes object (the container's checksum)."""
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def _sections(buf, what):
    """name -> numpy array of every section, checked against the bytes."""
    (n_sections,) = struct.unpack_from("<Q", buf, 16)
    pos, end = 24, len(buf) - 8
    if n_sections > (end - pos) // 16:
        raise PolicyFormatError(f"{what}: implausible section count {n_sections}")
    out = {}
    for i in range(n_sections):
        if pos + 4 > end:
            raise PolicyFormatError(f"{what}: truncated section {i}")
        (name_len,) = struct.unpack_from("<I", buf, pos)
        pos += 4
        if name_len == 0 or name_len > 255 or pos + name_len + 12 > end:
            raise PolicyFormatError(f"{what}: damaged section {i}")
        name = buf[pos:pos + name_len].decode("utf-8", "replace")
        pos += name_len
        type_code, count = struct.unpack_from("<IQ", buf, pos)
        pos += 12
        if type_code not in TYPES:
            raise PolicyFormatError(f"{what}: section '{name}' has unknown type {type_code}")
        dtype, size = TYPES[type_code]
        if count > (end - pos) // size:
            raise PolicyFormatError(f"{what}: section '{name}' claims more data than the file has")
        out.setdefault(name, np.frombuffer(buf, dtype=dtype, count=count, offset=pos))
        pos += count * size
    if pos != end:
        raise PolicyFormatError(f"{what}: {end - pos} stray bytes after the sections")
    return out


def _check_header(buf, what):
    if len(buf) < 32:
        raise PolicyFormatError(f"{what}: truncated ({len(buf)} bytes; a crl file has at least 32)")
    if buf[:8] != MAGIC:
        raise PolicyFormatError(f"{what}: not a crl file (no CRLFILE magic)")
    (stored,) = struct.unpack_from("<Q", buf, len(buf) - 8)
    if stored != fnv1a64(buf[:-8]):
        raise PolicyFormatError(f"{what}: checksum mismatch (damaged or truncated)")
    version, kind = struct.unpack_from("<II", buf, 8)
    if kind == KIND_CHECKPOINT:
        raise PolicyFormatError(f"{what}: holds a checkpoint, not a policy (crl export CKPT -o FILE.crlp)")
    if kind != KIND_POLICY:
        raise PolicyFormatError(f"{what}: unknown kind of crl file ({kind})")
    if version != VERSION_POLICY:
        raise PolicyFormatError(
            f"{what}: policy format version {version}; this reader reads version "
            f"{VERSION_POLICY} (export the policy again with a crl of that format)")


class Policy:
    """A loaded policy: layers, normaliser and action transform."""

    def __init__(self, s, what):
        def get(name, count=None, kinds=None):
            if name not in s:
                raise PolicyFormatError(f"{what}: missing section '{name}'")
            v = s[name]
            if kinds is not None and v.dtype.str not in kinds:
                raise PolicyFormatError(f"{what}: section '{name}' has type {v.dtype}")
            if count is not None and v.size != count:
                raise PolicyFormatError(f"{what}: section '{name}' has {v.size} values, expected {count}")
            return v

        def integer(name, lo, hi):
            v = int(get(name, 1, ("<i8",))[0])
            if not lo <= v <= hi:
                raise PolicyFormatError(f"{what}: {name} is {v} (outside [{lo}, {hi}])")
            return v

        n_layers = integer("net.n_layers", 1, 16)
        self.hidden_act = integer("net.hidden_act", 0, 2)
        self.output_act = integer("net.output_act", 0, 2)
        self.act_kind = integer("act.kind", 0, 1)
        self.act_dim = integer("act.dim", 1, 1 << 20)
        self.act_n = integer("act.n", 0, 1 << 20)
        self.output = integer("act.output", 0, 2)
        has_norm = integer("norm.present", 0, 1)
        self.version = bytes(get("crl.version", kinds=("|u1",))).decode()
        sizes = [int(v) for v in get("net.sizes", n_layers + 1, ("<i8",))]
        if min(sizes) < 1:
            raise PolicyFormatError(f"{what}: a layer size is {min(sizes)}")
        self.sizes = sizes
        n_params = sum(sizes[l + 1] * (sizes[l] + 1) for l in range(n_layers))
        params = get("net.params", n_params, ("<f4", "<f8"))
        if not np.all(np.isfinite(params)):
            raise PolicyFormatError(f"{what}: net.params has non-finite values")
        self.dtype = params.dtype
        self.layers, off = [], 0
        for l in range(n_layers):
            i, o = sizes[l], sizes[l + 1]
            w = params[off:off + o * i].reshape(o, i)
            off += o * i
            self.layers.append((w, params[off:off + o]))
            off += o
        n_out = sizes[-1]
        if self.act_kind == SPACE_DISCRETE:
            if self.output != OUT_ARGMAX or n_out != self.act_n or self.act_dim != 1:
                raise PolicyFormatError(f"{what}: a Discrete({self.act_n}) action needs an argmax over {self.act_n} outputs")
            self.low = self.high = None
        else:
            if self.output == OUT_ARGMAX or n_out != self.act_dim:
                raise PolicyFormatError(f"{what}: a Box({self.act_dim}) action needs {self.act_dim} outputs and clip or tanh")
            b = get("act.bounds", 2 * self.act_dim, ("<f8",))
            self.low, self.high = b[:self.act_dim], b[self.act_dim:]
            if not np.all(self.low <= self.high):
                raise PolicyFormatError(f"{what}: an action bound has low > high")
            if self.output == OUT_TANH and not np.all(np.isfinite(self.high - self.low)):
                raise PolicyFormatError(f"{what}: tanh scaling to infinite bounds")
        self.tanh_clip = 0.0  # the clamp before tanh (a gSDE mean), in newer files
        if "act.tanh_clip" in s:
            self.tanh_clip = float(get("act.tanh_clip", 1, ("<f8",))[0])
            if self.output != OUT_TANH or not (np.isfinite(self.tanh_clip) and self.tanh_clip > 0):
                raise PolicyFormatError(f"{what}: act.tanh_clip {self.tanh_clip} needs a tanh output and a bound > 0")
        self.norm = None
        if has_norm:
            d = sizes[0]
            mean = get("norm.mean", d, ("<f8",))
            var = get("norm.var", d, ("<f8",))
            clip = float(get("norm.clip", 1, ("<f8",))[0])
            eps = float(get("norm.eps", 1, ("<f8",))[0])
            if not (np.all(np.isfinite(mean)) and np.all(var >= 0) and clip > 0 and eps > 0):
                raise PolicyFormatError(f"{what}: normaliser values out of range")
            self.norm = (mean, var, clip, eps)

    @property
    def obs_dim(self):
        return self.sizes[0]

    def logits(self, obs):
        """The network's outputs for one observation (before the action
        transform), float64."""
        return self._forward(np.atleast_2d(np.asarray(obs, dtype=np.float64)))[0]

    def _forward(self, x):
        x = x.astype(self.dtype).astype(np.float64)  # what crl_policy_act receives
        if self.norm is not None:
            mean, var, clip, eps = self.norm
            x = np.clip((x - mean) * (1.0 / np.sqrt(var + eps)), -clip, clip)
        a = x.astype(self.dtype)
        for l, (w, b) in enumerate(self.layers):
            with np.errstate(over="ignore", invalid="ignore"):
                a = a @ w.T + b
            f = self.output_act if l == len(self.layers) - 1 else self.hidden_act
            if f == ACT_TANH:
                a = np.tanh(a)
            elif f == ACT_RELU:
                a = np.where(a > 0, a, 0).astype(self.dtype)
        return a.astype(np.float64)

    def act(self, obs):
        """Deterministic action(s) for obs [obs_dim] or [B, obs_dim]:
        float64 array [act_dim] or [B, act_dim] (a discrete action is its
        index). Raises ValueError for a non-finite observation, as
        crl_policy_act refuses one with CRL_EINVAL."""
        x = np.asarray(obs, dtype=np.float64)
        single = x.ndim == 1
        x = np.atleast_2d(x)
        if x.shape[1] != self.obs_dim:
            raise ValueError(f"observation has {x.shape[1]} values, the policy takes {self.obs_dim}")
        if not np.all(np.isfinite(x)):
            raise ValueError("observation value is not finite")
        y = self._forward(x)
        if self.output == OUT_ARGMAX:
            out = np.argmax(y, axis=1).astype(np.float64)[:, None]
        elif self.output == OUT_TANH:
            if self.tanh_clip > 0:
                y = np.clip(y, -self.tanh_clip, self.tanh_clip)
            out = self.low + (np.tanh(y) + 1.0) * 0.5 * (self.high - self.low)
        else:
            out = np.minimum(np.maximum(y, self.low), self.high)
        return out[0] if single else out


def load(path):
    """Read and check a .crlp file; PolicyFormatError when it is not a
    policy this reader understands, OSError when it cannot be read."""
    with open(path, "rb") as f:
        buf = f.read()
    _check_header(buf, path)
    return Policy(_sections(buf, path), path)


if __name__ == "__main__":
    import sys
    if len(sys.argv) != 2:
        sys.exit("usage: crl_policy.py POLICY.crlp")
    try:
        p = load(sys.argv[1])
    except (OSError, PolicyFormatError) as e:
        sys.exit(str(e))
    print(f"crl {p.version} policy: network {'-'.join(map(str, p.sizes))} ({p.dtype}), "
          f"normaliser {'yes' if p.norm else 'no'}, output {['clip', 'tanh', 'argmax'][p.output]}")
