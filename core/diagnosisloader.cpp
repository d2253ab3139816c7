// Rules about symbols and resolving: a symbol the consumer needed that the library does not
// provide, a resolution with the wrong ABI, the resolver missing.
#include "diagnosisinternal.h"

#include "apicatalog.h"
#include "ingestelf.h"
#include "report.h"
#include "symbolcheck.h"

#include <QFileInfo>
#include <QRegularExpression>

namespace initscope::diag {

// Imports of consumer (a path, as the loader printed it) that the run's shims (or its driver
// libraries) do not export, from the ELF facts ingest kept (docs/symbols.md); empty without them.
QStringList missingImportsFromFacts(const Context &ctx, const QString &consumer)
{
    SymbolCheckInput in;
    QList<ElfImage> drivers;
    for (const StoredElf &e : storedElfFacts(ctx.reader, ctx.run.id)) {
        if (e.role == QLatin1String("shim"))
            in.shims.append(e.image);
        else if (e.role == QLatin1String("driver"))
            drivers.append(e.image);
        else if (e.image.path == consumer || QFileInfo(e.image.path).canonicalFilePath() == consumer)
            in.consumers.append(e.image);
    }
    if (in.shims.isEmpty())
        in.shims = drivers;
    if (in.shims.isEmpty() || in.consumers.isEmpty())
        return {};
    QStringList out;
    for (const SymbolFinding &f : checkSymbols(in).findings)
        if (f.id == QLatin1String("missing-import") || f.id == QLatin1String("hidden-definition"))
            out += f.symbols;
    return out;
}

// A lookup that failed for a name the program then complained about: a symbol it needed.
void ruleMissingSymbols(const Context &ctx, QList<Finding> &out)
{
    static const QRegularExpression loaderRe(QStringLiteral("(\\S+): undefined symbol: (\\w+)"));
    static const QRegularExpression importsRe(QStringLiteral("which (\\S+) imports"));
    for (const OutputLine &l : ctx.lines) {
        const QString text = lineText(l);
        if (matchErrorRule(text).isEmpty() && !text.contains(QLatin1String("undefined symbol")))
            continue;
        QStringList symbols;
        QList<const Call *> lookups;
        for (const Call &c : ctx.calls) {
            if (!c.isResolution() || c.ok)
                continue;
            const QString sym = c.resolved.value(QLatin1String("symbol")).toString();
            if (sym.isEmpty() || symbols.contains(sym))
                continue;
            if (QRegularExpression(QStringLiteral("\\b%1\\b").arg(QRegularExpression::escape(sym))).match(text).hasMatch()) {
                symbols.append(sym);
                lookups.append(&c);
            }
        }
        QString consumer;
        const QRegularExpressionMatch lm = loaderRe.match(text);
        if (lm.hasMatch()) {
            consumer = lm.captured(1);
            if (!symbols.contains(lm.captured(2)))
                symbols.prepend(lm.captured(2));
        }
        const QRegularExpressionMatch im = importsRe.match(text);
        if (im.hasMatch())
            consumer = im.captured(1);
        // "… does not export A, B, C": lookups a program made with dlsym, which leave no call.
        static const QRegularExpression exportRe(QStringLiteral("does not (?:export|provide) ((?:\\w+(?:, )?)+)"));
        const QRegularExpressionMatch em = exportRe.match(text);
        if (em.hasMatch())
            for (const QString &sym : em.captured(1).split(QStringLiteral(", "), Qt::SkipEmptyParts))
                if (!symbols.contains(sym) && ApiCatalog::instance().function(sym))
                    symbols.append(sym);
        if (symbols.isEmpty())
            continue;
        // The loader names only the first symbol it could not bind; the ELF facts kept with the
        // run name every import of that consumer the shims lack.
        const QStringList fromFacts = consumer.isEmpty() ? QStringList() : missingImportsFromFacts(ctx, consumer);
        const qsizetype named = symbols.size();
        for (const QString &sym : fromFacts)
            if (!symbols.contains(sym))
                symbols.append(sym);
        const qint64 ts = lookups.isEmpty() ? l.tsNs : lookups.first()->endNs();
        Finding f = newFinding(ctx, QStringLiteral("undefined-symbol"), ts, lookups.isEmpty() ? 0.8 : 0.9);
        const QString lib = symbols.first().startsWith(QLatin1String("nvml")) ? ctx.nvmlLib : ctx.driverLib;
        const QString libWords = whoAnswers(ctx, lib, QStringLiteral("the GPU library"));
        f.title = symbols.size() > 3 ? QStringLiteral("undefined symbol %1 and %2 more").arg(symbols.first()).arg(symbols.size() - 1)
                                     : QStringLiteral("undefined symbol %1").arg(symbols.join(QStringLiteral(", ")));
        f.step = QStringLiteral("%1 does not provide %2%3")
                     .arg(libWords, symbols.join(QStringLiteral(", ")),
                          consumer.isEmpty() ? QString() : QStringLiteral(", which %1 needs to load").arg(consumer));
        if (symbols.size() > named)
            f.step += QStringLiteral(" (the loader reports the first it misses; the ELF facts kept with the run show "
                                     "%1 imports of %2 that no shim exports)")
                          .arg(fromFacts.size())
                          .arg(QFileInfo(consumer).fileName());
        for (const Call *c : lookups)
            f.evidence.append(eventEvidence(*c));
        attachLine(ctx, f, &l);
        f.fix = QStringLiteral("Export %1 from %2%3.")
                    .arg(symbols.join(QStringLiteral(", ")), libWords,
                         consumer.isEmpty() ? QString()
                                            : QStringLiteral(": %1 imports them and the loader refuses to load it without "
                                                             "them (\"undefined symbol\")").arg(consumer));
        f.consequence = QStringLiteral("%1 cannot be loaded").arg(consumer.isEmpty() ? QStringLiteral("the consumer") : consumer)
            + thenPrinted(ctx, f);
        out.append(f);
        return; // one line names the whole set
    }
}

// Resolutions whose answer is not the ABI the catalog names for the requested version.
void ruleResolutions(const Context &ctx, QList<Finding> &out)
{
    for (int i = 0; i < ctx.calls.size(); ++i) {
        const Call &c = ctx.calls[i];
        if (!c.isResolution() || c.resolved.isEmpty() || !c.ok)
            continue;
        if (!c.resolved.contains(QLatin1String("matchesExpected")) || c.resolved.value(QLatin1String("matchesExpected")).toBool())
            continue;
        const QString symbol = c.resolved.value(QLatin1String("symbol")).toString();
        const int version = c.resolved.value(QLatin1String("cudaVersion")).toInt();
        const QString expected = c.resolved.value(QLatin1String("expected")).toString();
        const QString got = c.resolved.value(QLatin1String("ownerSymbol")).toString();
        Finding f = newFinding(ctx, QStringLiteral("abi-mismatch"), c.endNs(), 0.85);
        f.title = QStringLiteral("%1 at %2 resolves to %3, not %4").arg(symbol).arg(version).arg(got, expected);
        f.step = QStringLiteral("%1 asked %2 for \"%3\" at CUDA version %4 and got %5, where a caller of that version "
                                "expects %6 (a different ABI)")
                     .arg(c.depth > 0 ? QStringLiteral("the CUDA runtime") : QStringLiteral("the program"), c.fn, symbol)
                     .arg(version)
                     .arg(got.isEmpty() ? QStringLiteral("an unnamed function") : got, expected);
        if (symbol == QLatin1String("cuGetProcAddress"))
            f.step += QStringLiteral(": the 4-argument v1 resolver where CUDA 12 and later call the 5-argument one");
        f.fix = QStringLiteral("Make the resolver of %1 hand out %2 for \"%3\" requested at version %4 (the spelling "
                               "a caller of that version was compiled against), and %5 only below it.")
                    .arg(whoAnswers(ctx, ctx.driverLib, QStringLiteral("the driver library")), expected, symbol)
                    .arg(version)
                    .arg(got.isEmpty() ? QStringLiteral("the old ABI") : got);
        f.evidence.append(eventEvidence(c));
        const Call *outer = (c.outer >= 0 && c.outer != i) ? &ctx.calls[c.outer] : nullptr;
        QStringList needles;
        if (outer && !outer->ok)
            needles << outer->resMsg;
        needles << symbol << QStringLiteral("insufficient");
        attachLine(ctx, f, pickErrorLine(ctx, needles, c.endNs()));
        f.consequence = (outer && !outer->ok ? QStringLiteral("%1 later returned %2").arg(outer->fn, resultWords(*outer))
                                             : QStringLiteral("the caller goes on with a function of the wrong signature"))
            + thenPrinted(ctx, f);
        out.append(f);
    }
}

// The CUDA runtime looks up cuGetProcAddress_v2 by dlsym and resolves everything through it;
// a runtime that called driver functions without ever calling the resolver did not find it.
void ruleMissingResolver(const Context &ctx, QList<Finding> &out)
{
    bool runtimeLoaded = false;
    for (const LibLoad &l : ctx.loads)
        runtimeLoaded = runtimeLoaded || baseName(l.path).startsWith(QLatin1String("libcudart"));
    if (!runtimeLoaded)
        return;
    const Call *first = nullptr;
    for (const Call &c : ctx.calls) {
        if (c.depth == 0 || c.api != QLatin1String("driver"))
            continue;
        if (c.isResolution())
            return;
        if (!first)
            first = &c;
    }
    if (!first)
        return;
    Finding f = newFinding(ctx, QStringLiteral("resolver-missing"), first->ev.tsNs, 0.75);
    f.title = QStringLiteral("the runtime found no cuGetProcAddress_v2");
    f.step = QStringLiteral("the CUDA runtime called driver functions (first %1) without ever calling "
                            "cuGetProcAddress_v2: %2 does not export it, so the runtime fell back to looking up each "
                            "function by its exported name")
                 .arg(first->fn, whoAnswers(ctx, ctx.driverLib, QStringLiteral("the driver library")));
    f.evidence.append(eventEvidence(*first));
    const Call *outer = first->outer >= 0 ? &ctx.calls[first->outer] : nullptr;
    QStringList needles;
    if (outer && !outer->ok) {
        needles << outer->resMsg;
        f.evidence.append(eventEvidence(*outer));
    }
    needles << QStringLiteral("cuGetProcAddress_v2") << QStringLiteral("insufficient");
    attachLine(ctx, f, pickErrorLine(ctx, needles, first->ev.tsNs));
    f.consequence = (outer && !outer->ok ? QStringLiteral("%1 returned %2").arg(outer->fn, resultWords(*outer))
                                         : QStringLiteral("the runtime works without its resolver"))
        + thenPrinted(ctx, f);
    f.fix = QStringLiteral("Export cuGetProcAddress_v2 (5 arguments: symbol, pfn, cudaVersion, flags, symbolStatus) "
                           "from %1; CUDA 12 and later runtimes look it up with dlsym before anything else.")
                .arg(whoAnswers(ctx, ctx.driverLib, QStringLiteral("the driver library")));
    out.append(f);
}

} // namespace initscope::diag
