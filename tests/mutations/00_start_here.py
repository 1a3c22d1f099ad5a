"""Wrong and correct answers for notebook 00 (see tests/mutation_harness.py)."""

VARIANTS = {
    "conv_output_size": {
        "wrong": {
            "ceil instead of floor": """
                import math
                def conv_output_size(n, f, p=0, s=1):
                    return math.ceil((n + 2 * p - f) / s) + 1
            """,
            "round instead of floor": """
                def conv_output_size(n, f, p=0, s=1):
                    return round((n + 2 * p - f) / s) + 1
            """,
            "padding on one side only": """
                def conv_output_size(n, f, p=0, s=1):
                    return (n + p - f) // s + 1
            """,
            "forgets the + 1": """
                def conv_output_size(n, f, p=0, s=1):
                    return (n + 2 * p - f) // s
            """,
            "returns a float": """
                def conv_output_size(n, f, p=0, s=1):
                    return (n + 2 * p - f) / s + 1
            """,
            "returns a NumPy integer": """
                import numpy as np
                def conv_output_size(n, f, p=0, s=1):
                    return np.int64((n + 2 * p - f) // s + 1)
            """,
            "stride applied to the + 1": """
                def conv_output_size(n, f, p=0, s=1):
                    return (n + 2 * p - f + 1) // s
            """,
        },
        "right": {
            "math.floor": """
                import math
                def conv_output_size(n, f, p=0, s=1):
                    return math.floor((n + 2 * p - f) / s) + 1
            """,
            "int of the division": """
                def conv_output_size(n, f, p=0, s=1):
                    return int((n + 2 * p - f) / s) + 1
            """,
            "divmod": """
                def conv_output_size(n, f, p=0, s=1):
                    q, _ = divmod(n + 2 * p - f, s)
                    return q + 1
            """,
        },
    },
}
