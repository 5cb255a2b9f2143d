"""A small multilingual check: the same sentences in English, Spanish, French and German.

Our tokenizer and model saw English only; a multilingual reference
(e.g. sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2) did not.
`python eval.py RUN --multilingual --reference MODEL` reports accuracy per
language for both, whatever it shows.
"""
from __future__ import annotations

import numpy

from .data import LABELS

# (label, English, Spanish, French, German) -- written for this check, three per label.
SENTENCES = [
    ("sadness", "i feel so lonely and sad tonight", "me siento tan solo y triste esta noche",
     "je me sens si seul et triste ce soir", "ich fühle mich heute abend so einsam und traurig"),
    ("sadness", "i feel hopeless about everything", "me siento sin esperanza con todo",
     "je me sens désespéré pour tout", "ich fühle mich hoffnungslos wegen allem"),
    ("sadness", "i feel miserable since she left", "me siento miserable desde que ella se fue",
     "je me sens misérable depuis qu'elle est partie", "ich fühle mich elend seit sie gegangen ist"),
    ("joy", "i feel so happy and cheerful today", "hoy me siento muy feliz y alegre",
     "je me sens si heureux et joyeux aujourd'hui", "ich fühle mich heute so glücklich und fröhlich"),
    ("joy", "i feel content with my life", "me siento satisfecho con mi vida",
     "je me sens satisfait de ma vie", "ich fühle mich zufrieden mit meinem leben"),
    ("joy", "i feel glad that we finished the project", "me siento contento de haber terminado el proyecto",
     "je suis content que nous ayons fini le projet", "ich bin froh, dass wir das projekt beendet haben"),
    ("love", "i feel so loving towards my family", "siento mucho amor por mi familia",
     "je ressens tant d'amour pour ma famille", "ich empfinde so viel liebe für meine familie"),
    ("love", "i feel tender and romantic with him", "me siento tierna y romántica con él",
     "je me sens tendre et romantique avec lui", "ich fühle mich zärtlich und romantisch mit ihm"),
    ("love", "i feel affectionate when she smiles", "me siento cariñoso cuando ella sonríe",
     "je me sens affectueux quand elle sourit", "ich fühle mich zärtlich, wenn sie lächelt"),
    ("anger", "i feel so angry at my boss", "me siento muy enojado con mi jefe",
     "je me sens tellement en colère contre mon patron", "ich bin so wütend auf meinen chef"),
    ("anger", "i feel furious about the delay", "me siento furioso por el retraso",
     "je suis furieux à cause du retard", "ich bin wütend über die verspätung"),
    ("anger", "i feel irritated by the noise", "me siento irritado por el ruido",
     "je me sens irrité par le bruit", "ich fühle mich durch den lärm gereizt"),
    ("fear", "i feel scared of the dark", "tengo miedo de la oscuridad",
     "j'ai peur du noir", "ich habe angst vor der dunkelheit"),
    ("fear", "i feel anxious about the exam", "me siento ansioso por el examen",
     "je me sens anxieux à propos de l'examen", "ich bin nervös wegen der prüfung"),
    ("fear", "i feel terrified when i am alone", "me siento aterrorizado cuando estoy solo",
     "je suis terrifié quand je suis seul", "ich habe schreckliche angst, wenn ich allein bin"),
    ("surprise", "i feel amazed by the news", "me siento asombrado por la noticia",
     "je suis stupéfait par la nouvelle", "ich bin erstaunt über die nachricht"),
    ("surprise", "i feel so surprised by the gift", "me siento muy sorprendido por el regalo",
     "je suis si surpris par le cadeau", "ich bin so überrascht von dem geschenk"),
    ("surprise", "i feel shocked that he won", "me siento impactado de que él ganara",
     "je suis choqué qu'il ait gagné", "ich bin schockiert, dass er gewonnen hat"),
]
LANGUAGES = ["English", "Spanish", "French", "German"]


def by_language():
    """{language: (texts, labels)}"""
    labels = numpy.array([LABELS.index(s[0]) for s in SENTENCES])
    return {lang: ([s[i + 1] for s in SENTENCES], labels) for i, lang in enumerate(LANGUAGES)}


def multilingual_check(run, data, reference: str, print_fn=print) -> dict:
    """Accuracy per language of this run and of a logistic probe on the reference."""
    from sklearn.linear_model import LogisticRegression

    from .data import encode
    from .reference import embed_cached, load_reference
    from .trainer import evaluate

    ref = load_reference(reference)
    train = data["train"]
    ref_train = embed_cached(ref, reference, train.texts, run.path / "embeddings", "train")
    probe = LogisticRegression(max_iter=3000).fit(ref_train, train.labels)
    results = {}
    print_fn(f"\n| language | this run: accuracy | unknown-token share | {reference} probe: accuracy |")
    print_fn("|---|---|---|---|")
    for lang, (texts, labels) in by_language().items():
        seqs = encode(run.tokenizer, texts, run.cfg.max_len)
        ours = evaluate(run.model, seqs, labels, run.cfg.backend)["accuracy"]
        unk = float(numpy.mean([t == 1 for s in seqs for t in s[1:]]))
        theirs = float((probe.predict(ref.encode(texts, show_progress_bar=False)) == labels).mean())
        results[lang] = {"ours": ours, "reference": theirs, "unk_share": unk}
        print_fn(f"| {lang} ({len(texts)}) | {ours:.3f} | {unk:.3f} | {theirs:.3f} |")
    return results
