# PyTorch 1.13's behaviour for the zero-size variants of every op-registry case: the source of
# the table in tests/test_empty_tensors.cpp. Each case of tests/op_registry.cpp is mirrored here;
# derive() is the test's derive_variants, EXTRA its hand-picked rows. Prints, per variant, the
# output shape and kind of values (empty / zeros / nan / finite) and of the inputs' gradients
# after backward of sum(output), or the error PyTorch raises.
#   /usr/bin/python3 tests/empty_tensors_reference.py
import torch, math, itertools
import torch.nn.functional as F
torch.set_default_dtype(torch.float64)

def nn_fixed(m):
    k = 0
    with torch.no_grad():
        for p in m.parameters():
            v = []
            for _ in range(p.numel()):
                v.append(((k * 5) % 9) / 8.0 - 0.5); k += 1
            p.copy_(torch.tensor(v).reshape(p.shape))
    return m

def T(x): return torch.tensor(x, dtype=torch.float64)
def mt(a, b, ta, tb):
    if ta: a = a.transpose(-1, -2)
    if tb: b = b.transpose(-1, -2)
    return a @ b
def sce(x, labels): return F.cross_entropy(x, torch.tensor(labels), reduction='none')
def index_add(src, dim, idx, size):
    shape = list(src.shape); shape[dim] = size
    return torch.zeros(shape).index_add(dim, torch.tensor(idx), src)
def slice_(x, dim, s, e): return torch.narrow(x, dim, s, e - s)
def cube(x): return x * x * x
def bn_eval(xs):
    x = xs[0]
    bn = nn_fixed(torch.nn.BatchNorm1d(3))
    with torch.no_grad():
        bn.running_mean.copy_(T([0.5, -0.25, 0.125])); bn.running_var.copy_(T([0.75, 1.5, 2.0]))
    bn.eval(); return bn(x)
def drop_eval(xs):
    x = xs[0]; d = torch.nn.Dropout(0.5); d.eval(); return d(x) * 2.0
def drop_train(xs):
    return torch.nn.Dropout(0.4)(xs[0])
def ce_labels(x, t, red='mean'):
    return F.cross_entropy(x, torch.tensor(t), reduction=red)

C = []  # (name, fn, shapes)
def add(n, f, s): C.append((n, f, s))
add("add", lambda x: x[0] + x[1], [[2, 3], [2, 3]])
add("add_broadcast_rows", lambda x: x[0] + x[1], [[3, 2], [1, 2]])
add("add_broadcast_rank", lambda x: x[0] + x[1], [[2, 1, 3], [4, 1]])
add("add_scalar_tensor", lambda x: x[0] + x[1], [[], [2, 3]])
add("add_0d", lambda x: x[0] + x[1], [[], []])
add("add_double", lambda x: 2.5 + x[0], [[3]])
add("sub_broadcast", lambda x: x[0] - x[1], [[2, 3], [3]])
add("sub_double", lambda x: 1.0 - x[0], [[3]])
add("mul", lambda x: x[0] * x[1], [[2, 3], [2, 3]])
add("mul_broadcast", lambda x: x[0] * x[1], [[4, 1], [1, 3]])
add("mul_0d", lambda x: x[0] * x[1], [[], []])
add("mul_self", lambda x: x[0] * x[0], [[5]])
add("div", lambda x: x[0] / x[1], [[2, 3], [2, 3]])
add("div_broadcast", lambda x: x[0] / x[1], [[2, 3], [3]])
add("div_double_numerator", lambda x: 1.0 / x[0], [[4]])
add("neg", lambda x: -x[0], [[2, 2]])
add("pow_3", lambda x: x[0] ** 3, [[2, 3]])
add("pow_half", lambda x: x[0] ** 0.5, [[2, 3]])
add("pow_negative", lambda x: x[0] ** -1.5, [[4]])
add("pow_0", lambda x: x[0] ** 0 * x[0], [[3]])
add("exp", lambda x: x[0].exp(), [[2, 3]])
add("log", lambda x: x[0].log(), [[2, 3]])
add("sqrt", lambda x: x[0].sqrt(), [[2, 3]])
add("abs", lambda x: x[0].abs(), [[2, 3]])
add("clamp", lambda x: x[0].clamp(-0.5, 0.7), [[3, 4]])
add("maximum", lambda x: torch.maximum(x[0], x[1]), [[2, 3], [2, 3]])
add("maximum_broadcast", lambda x: torch.maximum(x[0], x[1]), [[2, 3], [3]])
add("minimum", lambda x: torch.minimum(x[0], x[1]), [[2, 3], [1, 3]])
add("where", lambda x: torch.where(T([[1, 0, 1], [0, 0, 1]]) != 0, x[0], x[1]), [[2, 3], [2, 3]])
add("where_broadcast", lambda x: torch.where(T([1, 0, 1]) != 0, x[0], x[1]), [[2, 1], [2, 3]])
add("where_method", lambda x: torch.where(T([1, 0]) != 0, x[0], x[1]), [[2], []])
add("sigmoid", lambda x: x[0].sigmoid(), [[2, 3]])
add("tanh", lambda x: x[0].tanh(), [[2, 3]])
add("relu", lambda x: x[0].relu(), [[2, 3]])
add("leaky_relu", lambda x: F.leaky_relu(x[0], 0.1), [[2, 3]])
add("elu", lambda x: F.elu(x[0], 0.7), [[2, 3]])
add("prelu_shared", lambda x: F.prelu(x[0], x[1]), [[2, 3], [1]])
add("prelu_channels", lambda x: F.prelu(x[0], x[1]), [[2, 3, 2], [3]])
add("step", lambda x: (x[0] > 0).double() * x[0], [[2, 3]])
add("identity", lambda x: x[0] * 2.0, [[3]])
add("softmax_last", lambda x: x[0].softmax(-1), [[2, 4]])
add("softmax_dim0", lambda x: x[0].softmax(0), [[3, 2]])
add("softmax_3d_mid", lambda x: x[0].softmax(1), [[2, 3, 2]])
add("log_softmax_last", lambda x: x[0].log_softmax(-1), [[2, 4]])
add("log_softmax_dim0", lambda x: x[0].log_softmax(0), [[3, 2]])
add("sum_all", lambda x: x[0].sum(), [[2, 3]])
add("sum_dim0", lambda x: x[0].sum([0]), [[2, 3]])
add("sum_last_keepdim", lambda x: x[0].sum([-1], keepdim=True), [[2, 3]])
add("sum_two_dims", lambda x: x[0].sum([0, 2]), [[2, 3, 2]])
add("sum_mid_dim", lambda x: x[0].sum([1]), [[2, 3, 2]])
add("mean_all", lambda x: x[0].mean(), [[2, 3]])
add("mean_dim_keepdim", lambda x: x[0].mean([1], keepdim=True), [[2, 3]])
add("max_dim0", lambda x: x[0].max(0).values, [[3, 4]])
add("max_last_keepdim", lambda x: x[0].max(-1, keepdim=True).values, [[2, 3, 4]])
add("reshape", lambda x: x[0].reshape(3, 2) * T([1.0, 2.0]), [[2, 3]])
add("transpose", lambda x: x[0].transpose(0, 2), [[2, 3, 4]])
add("t", lambda x: x[0].t(), [[2, 3]])
add("flatten", lambda x: x[0].flatten(1), [[2, 3, 2]])
add("expand", lambda x: x[0].expand(4, 3), [[1, 3]])
add("expand_rank", lambda x: x[0].expand(2, 2, 3), [[3]])
add("slice_mid", lambda x: slice_(x[0], 1, 1, 3), [[2, 4]])
add("slice_edge", lambda x: slice_(x[0], 0, 0, 1), [[3, 2]])
add("concat_dim0", lambda x: torch.cat([x[0], x[1], x[2]], 0), [[1, 3], [2, 3], [1, 3]])
add("concat_dim1_shared", lambda x: torch.cat([x[0], x[1], x[0]], 1), [[2, 1], [2, 2]])
add("index_select_repeats", lambda x: x[0].index_select(0, torch.tensor([2, 0, 2])), [[3, 2]])
add("index_select_dim1", lambda x: x[0].index_select(1, torch.tensor([1])), [[2, 3]])
add("index_add", lambda x: index_add(x[0], 0, [1, 1, 0], 3), [[3, 2]])
add("matmul_2d", lambda x: x[0] @ x[1], [[3, 4], [4, 2]])
add("matmul_dot", lambda x: x[0] @ x[1], [[4], [4]])
add("matmul_vec_mat", lambda x: x[0] @ x[1], [[3], [3, 2]])
add("matmul_mat_vec", lambda x: x[0] @ x[1], [[2, 3], [3]])
add("matmul_batched", lambda x: x[0] @ x[1], [[2, 3, 4], [2, 4, 2]])
add("matmul_batch_broadcast", lambda x: x[0] @ x[1], [[1, 2, 3], [3, 3, 2]])
add("matmul_3d_2d", lambda x: x[0] @ x[1], [[2, 3, 4], [4, 2]])
add("matmul_2d_3d", lambda x: x[0] @ x[1], [[3, 4], [2, 4, 2]])
add("matmul_t_a", lambda x: mt(x[0], x[1], True, False), [[4, 3], [4, 2]])
add("matmul_t_b", lambda x: mt(x[0], x[1], False, True), [[3, 4], [2, 4]])
add("matmul_t_ab", lambda x: mt(x[0], x[1], True, True), [[4, 3], [2, 4]])
add("matmul_t_batched", lambda x: mt(x[0], x[1], True, True), [[2, 4, 3], [2, 2, 4]])
add("to_float32_and_back", lambda x: x[0].float().double() * 3.0, [[3]])
add("softmax_cross_entropy", lambda x: sce(x[0], [2, 0, 1]), [[3, 4]])
add("bce_with_logits", lambda x: F.binary_cross_entropy_with_logits(x[0], x[1], reduction='none'), [[2, 3], [2, 3]])
add("bce", lambda x: F.binary_cross_entropy(x[0], x[1], reduction='none'), [[2, 3], [2, 3]])
add("nn_linear", lambda x: nn_fixed(torch.nn.Linear(3, 2))(x[0]), [[4, 3]])
add("nn_linear_1d", lambda x: nn_fixed(torch.nn.Linear(3, 2))(x[0]), [[3]])
add("nn_linear_3d", lambda x: nn_fixed(torch.nn.Linear(3, 2))(x[0]), [[2, 2, 3]])
add("nn_linear_no_bias", lambda x: nn_fixed(torch.nn.Linear(3, 2, bias=False))(x[0]), [[4, 3]])
add("nn_sequential", lambda x: nn_fixed(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)))(x[0]), [[5, 3]])
add("nn_relu_module", lambda x: torch.nn.ReLU()(x[0]), [[2, 3]])
add("nn_sigmoid_module", lambda x: torch.nn.Sigmoid()(x[0]), [[2, 3]])
add("nn_tanh_module", lambda x: torch.nn.Tanh()(x[0]), [[2, 3]])
add("nn_leaky_relu_module", lambda x: torch.nn.LeakyReLU(0.2)(x[0]), [[2, 3]])
add("nn_elu_module", lambda x: torch.nn.ELU()(x[0]), [[2, 3]])
add("nn_prelu_module", lambda x: nn_fixed(torch.nn.PReLU())(x[0]), [[2, 3]])
add("nn_prelu_module_channels", lambda x: nn_fixed(torch.nn.PReLU(3))(x[0]), [[2, 3, 2]])
add("nn_softmax_module", lambda x: torch.nn.Softmax(1)(x[0]), [[2, 3, 2]])
add("nn_identity_module", lambda x: torch.nn.Identity()(x[0]) * 2.0, [[3]])
add("nn_step_module", lambda x: (x[0] > 0).double() * x[0], [[2, 3]])
add("nn_batchnorm_train_2d", lambda x: nn_fixed(torch.nn.BatchNorm1d(3))(x[0]), [[4, 3]])
add("nn_batchnorm_train_3d", lambda x: nn_fixed(torch.nn.BatchNorm1d(3, 1e-3, 0.3))(x[0]), [[2, 3, 3]])
add("nn_batchnorm_eval", bn_eval, [[2, 3, 2]])
add("nn_dropout_eval", drop_eval, [[2, 3]])
add("nn_dropout_train_seeded", drop_train, [[4, 5]])
add("nn_mse_loss", lambda x: F.mse_loss(x[0], x[1]), [[2, 3], [2, 3]])
add("nn_mse_loss_sum", lambda x: F.mse_loss(x[0], x[1], reduction='sum'), [[4], [4]])
add("nn_mse_loss_none", lambda x: F.mse_loss(x[0], x[1], reduction='none'), [[2, 2], [2, 2]])
add("nn_mse_loss_module", lambda x: torch.nn.MSELoss()(x[0], x[1]), [[3, 2], [3, 2]])
add("nn_cross_entropy", lambda x: ce_labels(x[0], [2, 0, 3]), [[3, 4]])
add("nn_cross_entropy_sum_float64_labels", lambda x: ce_labels(x[0], [1, 1, 0], 'sum'), [[3, 2]])
add("nn_cross_entropy_none", lambda x: ce_labels(x[0], [0, 2], 'none'), [[2, 3]])
add("nn_cross_entropy_one_sample", lambda x: F.cross_entropy(x[0], torch.tensor(2)), [[4]])
add("nn_cross_entropy_probabilities", lambda x: F.cross_entropy(x[0], x[1]), [[3, 4], [3, 4]])
add("nn_cross_entropy_loss_module", lambda x: torch.nn.CrossEntropyLoss()(x[0], torch.tensor([1, 0])), [[2, 3]])
add("nn_bce", lambda x: F.binary_cross_entropy(x[0], x[1]), [[2, 3], [2, 3]])
add("nn_bce_none", lambda x: F.binary_cross_entropy(x[0], x[1], reduction='none'), [[4], [4]])
add("nn_bce_loss_module", lambda x: torch.nn.BCELoss(reduction='sum')(x[0], x[1]), [[3], [3]])
add("nn_bce_with_logits", lambda x: F.binary_cross_entropy_with_logits(x[0], x[1]), [[2, 3], [2, 3]])
add("nn_bce_with_logits_none", lambda x: F.binary_cross_entropy_with_logits(x[0], x[1], reduction='none'), [[4], [4]])
add("nn_bce_with_logits_loss_module", lambda x: torch.nn.BCEWithLogitsLoss()(x[0], x[1]), [[3, 2], [3, 2]])
add("custom_function", lambda x: cube(x[0]) + x[0], [[2, 2]])
def shared(x):
    h = torch.tanh(x[0] * x[1]); return (h * h + h).sum([1])
add("shared_subexpression", shared, [[2, 3], [1, 3]])
add("mlp_layer", lambda x: torch.sigmoid(mt(x[0], x[1], False, True) + x[2]), [[4, 3], [2, 3], [2]])

EXTRA = {
  "concat_dim0": [],
  "concat_dim1_shared": [[[2, 0], [2, 2]]],
  "matmul_2d": [[[0, 4], [4, 2]], [[3, 0], [0, 2]], [[3, 4], [4, 0]]],
  "matmul_vec_mat": [[[0], [0, 2]], [[3], [3, 0]]],
  "matmul_mat_vec": [],
  "matmul_batched": [[[2, 3, 0], [2, 0, 2]], [[2, 0, 4], [2, 4, 2]], [[2, 3, 4], [2, 4, 0]]],
  "matmul_batch_broadcast": [[[1, 2, 0], [3, 0, 2]], [[0, 2, 3], [1, 3, 2]]],
  "matmul_3d_2d": [[[2, 3, 0], [0, 2]], [[2, 0, 4], [4, 2]]],
  "matmul_2d_3d": [[[3, 0], [2, 0, 2]], [[3, 4], [2, 4, 0]]],
  "matmul_t_a": [[[4, 0], [4, 2]]],
  "matmul_t_b": [[[3, 4], [0, 4]]],
  "matmul_t_ab": [[[0, 3], [2, 0]]],
  "matmul_t_batched": [[[2, 0, 3], [2, 2, 0]]],
  "mlp_layer": [[[4, 0], [2, 0], [2]], [[0, 3], [2, 3], [2]]],
  "prelu_channels": [[[2, 3, 0], [3]]],
  "nn_sequential": [],
  "shared_subexpression": [],
}

def derive(shapes):
    out = []
    rank = max([len(s) for s in shapes] + [0])
    for p in range(rank):
        v = [list(s) for s in shapes]
        anyset = False
        for s in v:
            if len(s) > p and s[len(s) - 1 - p] != 1:
                s[len(s) - 1 - p] = 0; anyset = True
        if not anyset:
            for s in v:
                if len(s) > p: s[len(s) - 1 - p] = 0
        if v not in out: out.append(v)
    return out

def classify(t):
    if t.numel() == 0: return "empty"
    if bool((t == 0).all()): return "zeros"
    if bool(torch.isnan(t).all()): return "nan"
    if bool(torch.isfinite(t).all()): return "finite"
    return "mixed"

def fmt(s): return "{" + ", ".join(map(str, s)) + "}"

def run(name, f, shapes):
    torch.manual_seed(0)
    xs = []
    for s in shapes:
        x = torch.rand(s) * 0.8 + 0.1  # positive, in (0, 1): valid for log/sqrt/bce everywhere
        xs.append(x.requires_grad_(True))
    try:
        y = f(xs)
    except Exception as e:
        return "ERR " + type(e).__name__ + ": " + str(e).split("\n")[0][:100]
    res = "ok " + fmt(list(y.shape)) + " " + classify(y.detach())
    try:
        y.sum().backward()
    except Exception as e:
        return res + " BACKWARD ERR " + str(e)[:80]
    gs = []
    for x in xs:
        g = x.grad
        if g is None: gs.append("none"); continue
        assert list(g.shape) == list(x.shape)
        if y.numel() == 0: assert bool((g == 0).all())
        gs.append(classify(g))
    return res + " grads " + ",".join(gs)

for name, f, shapes in C:
    variants = derive(shapes)
    extras = EXTRA.get(name, [])
    for v in variants + extras:
        tag = "   " if v in variants else "(x)"
        print(f"{name:40s}{tag} {', '.join(fmt(s) for s in v):30s} {run(name, f, v)}")
    if not variants and not extras:
        print(f"{name:40s}    (no zero-size variant: 0-D inputs only)")
