"""Wrong and correct answers for notebook 09 (see tests/mutation_harness.py)."""

VARIANTS = {
    "total_cost": {
        "wrong": {
            "weights swapped": """
                def total_cost(J_content, J_style, alpha=10.0, beta=40.0):
                    return beta * J_content + alpha * J_style
            """,
            "defaults ignored (fixed 10 and 40)": """
                def total_cost(J_content, J_style, alpha=10.0, beta=40.0):
                    return 10.0 * J_content + 40.0 * J_style
            """,
            "style cost forgotten": """
                def total_cost(J_content, J_style, alpha=10.0, beta=40.0):
                    return alpha * J_content
            """,
            "a product of the two": """
                def total_cost(J_content, J_style, alpha=10.0, beta=40.0):
                    return alpha * beta * J_content * J_style
            """,
            "float() cuts the gradient": """
                def total_cost(J_content, J_style, alpha=10.0, beta=40.0):
                    return float(alpha * J_content + beta * J_style)
            """,
            "a weighted mean": """
                def total_cost(J_content, J_style, alpha=10.0, beta=40.0):
                    return (alpha * J_content + beta * J_style) / (alpha + beta)
            """,
        },
        "right": {
            "ops.add": """
                def total_cost(J_content, J_style, alpha=10.0, beta=40.0):
                    return ops.add(ops.multiply(alpha, J_content), ops.multiply(beta, J_style))
            """,
            "with intermediate names": """
                def total_cost(J_content, J_style, alpha=10.0, beta=40.0):
                    content_term = J_content * alpha
                    style_term = J_style * beta
                    return content_term + style_term
            """,
        },
    },
    "compute_content_cost": {
        "wrong": {
            "mean instead of sum": """
                def compute_content_cost(a_C, a_G):
                    _, h, w, c = a_G.shape
                    return ops.mean(ops.square(a_C - a_G)) / (4.0 * h * w * c)
            """,
            "the 1/2 form": """
                def compute_content_cost(a_C, a_G):
                    return 0.5 * ops.sum(ops.square(a_C - a_G))
            """,
            "no square": """
                def compute_content_cost(a_C, a_G):
                    _, h, w, c = a_G.shape
                    return ops.sum(ops.abs(a_C - a_G)) / (4.0 * h * w * c)
            """,
            "NumPy instead of keras.ops": """
                def compute_content_cost(a_C, a_G):
                    _, h, w, c = a_G.shape
                    return np.sum(np.square(np.asarray(a_C) - np.asarray(a_G))) / (4.0 * h * w * c)
            """,
            "a factor 4 missing": """
                def compute_content_cost(a_C, a_G):
                    _, h, w, c = a_G.shape
                    return ops.sum(ops.square(a_C - a_G)) / (h * w * c)
            """,
            "sum over the last axis only": """
                def compute_content_cost(a_C, a_G):
                    _, h, w, c = a_G.shape
                    return ops.sum(ops.square(a_C - a_G), axis=-1) / (4.0 * h * w * c)
            """,
        },
        "right": {
            "size of the tensor": """
                def compute_content_cost(a_C, a_G):
                    diff = a_C - a_G
                    n = 1
                    for d in a_G.shape[1:]:
                        n *= d
                    return ops.sum(diff * diff) / (4 * n)
            """,
            "mean times a quarter": """
                def compute_content_cost(a_C, a_G):
                    return ops.mean(ops.square(ops.subtract(a_C, a_G))) / 4.0
            """,
        },
    },
    "gram_matrix": {
        "wrong": {
            "A^T A": """
                def gram_matrix(A):
                    return ops.matmul(ops.transpose(A), A)
            """,
            "element-wise square": """
                def gram_matrix(A):
                    return ops.square(A)
            """,
            "normalised by the number of positions": """
                def gram_matrix(A):
                    return ops.matmul(A, ops.transpose(A)) / A.shape[1]
            """,
            "NumPy only": """
                def gram_matrix(A):
                    A = np.asarray(A)
                    return A @ A.T
            """,
            "the diagonal only": """
                def gram_matrix(A):
                    return ops.diag(ops.sum(ops.square(A), axis=1))
            """,
        },
        "right": {
            "einsum": """
                def gram_matrix(A):
                    return ops.einsum("ip,jp->ij", A, A)
            """,
            "tensordot": """
                def gram_matrix(A):
                    return ops.tensordot(A, A, axes=[[1], [1]])
            """,
        },
    },
    "compute_layer_style_cost": {
        "wrong": {
            "reshapes straight to (n_C, n_H n_W)": """
                def compute_layer_style_cost(a_S, a_G):
                    _, h, w, c = a_G.shape
                    GS = gram_matrix(ops.reshape(a_S, (c, h * w)))
                    GG = gram_matrix(ops.reshape(a_G, (c, h * w)))
                    return ops.sum(ops.square(GS - GG)) / (4.0 * c ** 2 * (h * w) ** 2)
            """,
            "no normalisation": """
                def compute_layer_style_cost(a_S, a_G):
                    _, h, w, c = a_G.shape
                    S = ops.transpose(ops.reshape(a_S, (h * w, c)))
                    G = ops.transpose(ops.reshape(a_G, (h * w, c)))
                    return ops.sum(ops.square(gram_matrix(S) - gram_matrix(G)))
            """,
            "(n_H n_W) not squared": """
                def compute_layer_style_cost(a_S, a_G):
                    _, h, w, c = a_G.shape
                    S = ops.transpose(ops.reshape(a_S, (h * w, c)))
                    G = ops.transpose(ops.reshape(a_G, (h * w, c)))
                    return ops.sum(ops.square(gram_matrix(S) - gram_matrix(G))) / (4.0 * c ** 2 * (h * w))
            """,
            "Gram of positions, not channels": """
                def compute_layer_style_cost(a_S, a_G):
                    _, h, w, c = a_G.shape
                    S = ops.reshape(a_S, (h * w, c))
                    G = ops.reshape(a_G, (h * w, c))
                    return ops.sum(ops.square(gram_matrix(S) - gram_matrix(G))) / (4.0 * c ** 2 * (h * w) ** 2)
            """,
            "NumPy instead of keras.ops": """
                def compute_layer_style_cost(a_S, a_G):
                    _, h, w, c = a_G.shape
                    S = np.asarray(a_S).reshape(h * w, c).T
                    G = np.asarray(a_G).reshape(h * w, c).T
                    return np.sum((S @ S.T - G @ G.T) ** 2) / (4.0 * c ** 2 * (h * w) ** 2)
            """,
        },
        "right": {
            "mean over the Gram entries (the same number)": """
                def compute_layer_style_cost(a_S, a_G):
                    _, h, w, c = a_G.shape
                    S = ops.transpose(ops.reshape(a_S, (h * w, c)))
                    G = ops.transpose(ops.reshape(a_G, (h * w, c)))
                    return ops.mean(ops.square(gram_matrix(S) - gram_matrix(G))) / (4.0 * (h * w) ** 2)
            """,
            "einsum over positions": """
                def compute_layer_style_cost(a_S, a_G):
                    _, h, w, c = a_G.shape
                    GS = ops.einsum("bhwi,bhwj->ij", a_S, a_S)
                    GG = ops.einsum("bhwi,bhwj->ij", a_G, a_G)
                    return ops.sum((GS - GG) ** 2) / (4 * (c * h * w) ** 2)
            """,
            "reshape with -1": """
                def compute_layer_style_cost(a_S, a_G):
                    n_C = a_G.shape[-1]
                    n = a_G.shape[1] * a_G.shape[2]
                    S = ops.transpose(ops.reshape(a_S, (-1, n_C)))
                    G = ops.transpose(ops.reshape(a_G, (-1, n_C)))
                    diff = gram_matrix(S) - gram_matrix(G)
                    return ops.sum(diff * diff) / (4.0 * n_C * n_C * n * n)
            """,
        },
    },
    "compute_style_cost": {
        "wrong": {
            "weights ignored": """
                def compute_style_cost(style_outputs, generated_outputs, layer_weights):
                    return sum(compute_layer_style_cost(s, g) for s, g in zip(style_outputs, generated_outputs))
            """,
            "the mean of the layers": """
                def compute_style_cost(style_outputs, generated_outputs, layer_weights):
                    total = 0.0
                    for s, g, w in zip(style_outputs, generated_outputs, layer_weights):
                        total = total + w * compute_layer_style_cost(s, g)
                    return total / len(layer_weights)
            """,
            "divides by the sum of the weights": """
                def compute_style_cost(style_outputs, generated_outputs, layer_weights):
                    total = 0.0
                    for s, g, w in zip(style_outputs, generated_outputs, layer_weights):
                        total = total + w * compute_layer_style_cost(s, g)
                    return total / sum(layer_weights)
            """,
            "weights in reverse order": """
                def compute_style_cost(style_outputs, generated_outputs, layer_weights):
                    total = 0.0
                    for s, g, w in zip(style_outputs, generated_outputs, layer_weights[::-1]):
                        total = total + w * compute_layer_style_cost(s, g)
                    return total
            """,
            "only the last layer": """
                def compute_style_cost(style_outputs, generated_outputs, layer_weights):
                    for s, g, w in zip(style_outputs, generated_outputs, layer_weights):
                        total = w * compute_layer_style_cost(s, g)
                    return total
            """,
            "style compared with itself": """
                def compute_style_cost(style_outputs, generated_outputs, layer_weights):
                    total = 0.0
                    for s, g, w in zip(style_outputs, generated_outputs, layer_weights):
                        total = total + w * compute_layer_style_cost(s, s)
                    return total
            """,
        },
        "right": {
            "indices": """
                def compute_style_cost(style_outputs, generated_outputs, layer_weights):
                    J = 0
                    for i in range(len(layer_weights)):
                        J += layer_weights[i] * compute_layer_style_cost(style_outputs[i], generated_outputs[i])
                    return J
            """,
            "ops.sum of a stack": """
                def compute_style_cost(style_outputs, generated_outputs, layer_weights):
                    costs = [compute_layer_style_cost(s, g) * w
                             for s, g, w in zip(style_outputs, generated_outputs, layer_weights)]
                    return ops.sum(ops.stack([ops.convert_to_tensor(c, dtype="float32") for c in costs]))
            """,
        },
    },
}

# Mutants of the official answers that no input the docstrings allow tells apart (course_tools.mutation).
EQUIVALENT = {
    "compute_layer_style_cost": {
        "argument: `(gram_matrix(S), gram_matrix(G))` -> `(gram_matrix(G), gram_matrix(S))` in `GS, GG = (gram_matrix(S), gram_matrix(G))`": "the cost squares GS - GG: swapping the two Gram matrices changes only the sign inside the square.",
    },
    "compute_style_cost": {
        "argument: `zip(style_outputs, generated_outputs, layer_weights)` -> `zip(generated_outputs, style_outputs, layer_weights)` in `for a_S, a_G, weight in zip(style_outputs, generated_outputs, layer_weights):...`": "each layer's style cost is symmetric in its two activations (the square of GS - GG), which have the same shape.",
        "argument: `compute_layer_style_cost(a_S, a_G)` -> `compute_layer_style_cost(a_G, a_S)` in `J_style = J_style + weight * compute_layer_style_cost(a_S, a_G)`": "idem: compute_layer_style_cost(a_S, a_G) = compute_layer_style_cost(a_G, a_S) for activations of the same shape.",
    },
}
