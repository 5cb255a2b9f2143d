"""Put a run in context: a frozen sentence encoder, TF-IDF, and probes, on the same test split.

Also measures how alike the class-token space and the reference space are:
linear CKA, the correlation of pairwise cosine similarities, and the mean
absolute gap between the two cosine similarities of a pair.
"""
from __future__ import annotations

import time

import numpy

from .data import LABELS


# --- representational agreement -----------------------------------------------

def linear_cka(X, Y) -> float:
    """Linear centred kernel alignment (Kornblith et al. 2019) of two representations
    of the same n examples, X: (n, p), Y: (n, q):
        CKA = ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F)
    1 for spaces equal up to rotation and isotropic scaling, near 0 for unrelated ones."""
    X = numpy.asarray(X, dtype=numpy.float64)
    Y = numpy.asarray(Y, dtype=numpy.float64)
    X, Y = X - X.mean(0), Y - Y.mean(0)
    return float(numpy.linalg.norm(Y.T @ X) ** 2 / (numpy.linalg.norm(X.T @ X) * numpy.linalg.norm(Y.T @ Y)))


def cosine_matrix(X) -> numpy.ndarray:
    X = numpy.asarray(X, dtype=numpy.float64)
    X = X / numpy.maximum(numpy.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    return X @ X.T


def similarity_agreement(X, Y) -> dict:
    """Over all pairs i < j: Pearson correlation of cos_X(i, j) with cos_Y(i, j), and
    the mean of |cos_X(i, j) - cos_Y(i, j)| (the seed's "within 0.18" gap)."""
    iu = numpy.triu_indices(len(X), k=1)
    a, b = cosine_matrix(X)[iu], cosine_matrix(Y)[iu]
    corr = float(numpy.corrcoef(a, b)[0, 1]) if len(a) > 1 else float("nan")
    return {"cosine_correlation": corr, "mean_abs_cosine_gap": float(numpy.abs(a - b).mean())}


def mean_cosine(A, B) -> float:
    """Mean over rows of cos(A_i, B_i)."""
    A, B = numpy.asarray(A, dtype=numpy.float64), numpy.asarray(B, dtype=numpy.float64)
    num = (A * B).sum(1)
    return float((num / numpy.maximum(numpy.linalg.norm(A, axis=1) * numpy.linalg.norm(B, axis=1), 1e-12)).mean())


def ridge_map(X_train, Y_train, X_test, alpha=1.0):
    """Best linear map (ridge regression) from X to Y fitted on train, applied to test."""
    from sklearn.linear_model import Ridge
    return Ridge(alpha=alpha).fit(X_train, Y_train).predict(X_test)


# --- baselines --------------------------------------------------------------------

def _scores(y, pred):
    from sklearn.metrics import accuracy_score, f1_score
    return {"accuracy": float(accuracy_score(y, pred)), "macro_f1": float(f1_score(y, pred, average="macro"))}


CS = (0.1, 1.0, 10.0, 100.0, 1000.0)


def _tuned_logistic(make, train, val, test) -> dict:
    """Fit one logistic regression per C in CS on train (X, y), keep the one best on
    validation, report it on test: the baselines get the tuning our model got."""
    t0 = time.perf_counter()
    fits = [make(C).fit(*train) for C in CS]
    val_acc = [float((clf.predict(val[0]) == val[1]).mean()) for clf in fits]
    best = int(numpy.argmax(val_acc))
    clf = fits[best]
    lr = clf[-1] if hasattr(clf, "steps") else clf
    out = _scores(test[1], clf.predict(test[0]))
    out.update(seconds=time.perf_counter() - t0, parameters=int(lr.coef_.size + lr.intercept_.size),
               C=CS[best], val_accuracy=val_acc[best])
    return out


def logistic_probe(train, val, test) -> dict:
    """Logistic regression on frozen features (standardised); each argument is (X, y)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    return _tuned_logistic(lambda C: make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000, C=C)),
                           train, val, test)


def tfidf_baseline(train, val, test) -> dict:
    """TF-IDF of word 1-2 grams + logistic regression; each argument is (texts, y)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    flat = lambda ts: [t if isinstance(t, str) else " ".join(t) for t in ts]  # noqa: E731
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    Xtr = vec.fit_transform(flat(train[0]))
    return _tuned_logistic(lambda C: LogisticRegression(max_iter=3000, C=C), (Xtr, train[1]),
                           (vec.transform(flat(val[0])), val[1]), (vec.transform(flat(test[0])), test[1]))


# --- the comparison table ------------------------------------------------------------

def cls_states(run, texts) -> numpy.ndarray:
    from .data import encode
    from .trainer import evaluate
    seqs = encode(run.tokenizer, texts, run.cfg.max_len)
    return evaluate(run.model, seqs, numpy.zeros(len(seqs), dtype=int), run.cfg.backend,
                    run.cfg.eval_batch_size, return_outputs=True)["cls"]


def compare(run, data, reference: str, test_report: dict | None = None, sample: int = 2000, print_fn=print) -> dict:
    """Print the comparison table and agreement metrics; write the plots into the run folder.
    test_report: evaluate(..., return_outputs=True) of the test split, if the caller has it already."""
    from .plots import embedding_pca, similarity_matrices
    from .reference import embed_cached, load_reference

    train, val, test = data["train"], data["validation"], data["test"]
    cache = run.path / "embeddings"
    ref_model = load_reference(reference)
    dim = getattr(ref_model, "get_embedding_dimension", None) or ref_model.get_sentence_embedding_dimension
    print_fn(f"reference: {reference} (dimension {dim()}); "
             f"embeddings cached in {cache}")
    ref_train = embed_cached(ref_model, reference, train.texts, cache, "train")
    ref_val = embed_cached(ref_model, reference, val.texts, cache, "validation")
    ref_test = embed_cached(ref_model, reference, test.texts, cache, "test")
    if test_report is None:
        from .data import encode
        from .trainer import evaluate
        test_report = evaluate(run.model, encode(run.tokenizer, test.texts, run.cfg.max_len), test.labels,
                               run.cfg.backend, run.cfg.eval_batch_size, return_outputs=True)
    ours_train, ours_val = (cls_states(run, s.texts) for s in (train, val))
    ours_test = test_report["cls"]
    history = run.history()

    y = (train.labels, val.labels, test.labels)
    rows = {
        "this run (transformer, [CLS] head)": {**{k: test_report[k] for k in ("accuracy", "macro_f1")},
                                              "parameters": run.model.num_parameters(),
                                              "seconds": history[-1]["train_seconds"] if history else float("nan")},
        f"logistic regression on frozen {reference}": logistic_probe(*zip((ref_train, ref_val, ref_test), y)),
        "TF-IDF (1-2 grams) + logistic regression": tfidf_baseline(*zip((train.texts, val.texts, test.texts), y)),
        "logistic regression on frozen [CLS] states": logistic_probe(*zip((ours_train, ours_val, ours_test), y)),
    }
    print_fn(f"\n| model ({len(test)} test examples) | accuracy | macro-F1 | parameters | training s |")
    print_fn("|---|---|---|---|---|")
    for name, r in rows.items():
        tuned = f" (C={r['C']:g}, chosen on validation)" if "C" in r else ""
        print_fn(f"| {name}{tuned} | {r['accuracy']:.4f} | {r['macro_f1']:.4f} | {r['parameters']:,} "
                 f"| {r['seconds']:.0f} |")

    n = min(sample, len(test))
    agree = {"linear_cka": linear_cka(ours_test[:n], ref_test[:n]), **similarity_agreement(ours_test[:n], ref_test[:n])}
    mapped = ridge_map(ours_train, ref_train, ours_test)
    agree["mean_cosine_linear_map"] = mean_cosine(mapped, ref_test)
    print_fn(f"\nagreement of [CLS] states with {reference} on {n} test sentences "
             f"({n * (n - 1) // 2:,} pairs):")
    print_fn(f"  linear CKA                                   {agree['linear_cka']:.3f}")
    print_fn(f"  correlation of pairwise cosine similarities  {agree['cosine_correlation']:.3f}")
    print_fn(f"  mean |cos_ours - cos_reference| over pairs   {agree['mean_abs_cosine_gap']:.3f}")
    print_fn(f"  mean cosine to the reference after the best linear map (ridge, fit on train) "
             f"{agree['mean_cosine_linear_map']:.3f}")
    if run.cfg.distill:
        from .distill import projected_cosine
        agree["mean_cosine_distill_head"] = projected_cosine(run, ours_test, ref_test)
        print_fn(f"  mean cosine to the reference through the distillation head  "
                 f"{agree['mean_cosine_distill_head']:.3f}")

    sample = numpy.concatenate([numpy.flatnonzero(test.labels == k)[:10] for k in range(len(LABELS))])  # 10 a label
    similarity_matrices(cosine_matrix(ours_test[sample]), cosine_matrix(ref_test[sample]),
                        test.labels[sample], LABELS, run.path / "similarity_matrices.png", reference)
    embedding_pca(ours_test[:n], ref_test[:n], test.labels[:n], LABELS, run.path / "embedding_pca.png", reference)
    print_fn(f"\npictures: {run.path / 'similarity_matrices.png'}, {run.path / 'embedding_pca.png'}")
    return {"rows": rows, "agreement": agree}
