"""Writes fixtures/svd_fixture.json: a seeded 48 x 20 float64 matrix with a decaying spectrum and
its singular values by numpy.linalg.svd (LAPACK gesdd), the outside reference for
lib/spectrum/singular_values.ts. Run: /usr/bin/python3 tests/spectrum/make_svd_fixture.py"""
import json
import os

import numpy as np

rng = np.random.default_rng(20240611)
rows, cols = 48, 20
a = rng.standard_normal((rows, cols)) @ np.diag(np.logspace(0, -3, cols)) @ rng.standard_normal((cols, cols))
wide = a.T.copy()  # 20 x 48: exercises the other Gram side
out = {
    "source": "numpy " + np.__version__ + " numpy.linalg.svd(compute_uv=False)",
    "rows": rows,
    "cols": cols,
    "data": [float(x) for x in a.reshape(-1)],
    "singularValues": [float(x) for x in np.linalg.svd(a, compute_uv=False)],
    "wideSingularValues": [float(x) for x in np.linalg.svd(wide, compute_uv=False)],
}
path = os.path.join(os.path.dirname(__file__), "fixtures", "svd_fixture.json")
with open(path, "w") as f:
    json.dump(out, f)
    f.write("\n")
print(path)
