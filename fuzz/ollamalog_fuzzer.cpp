// The Ollama log parser (core/ollamalog.cpp, docs/ollama-logs.md) over any text: server logs
// as Ollama writes them, behind journald, docker or timestamp prefixes, in the legacy and the
// logfmt syntax, glued and wrapped records, runner and ggml output. The building blocks are
// also fed the input directly, as one line.
#include "fuzzsupport.h"

#include "ollamalog.h"

using namespace initscope;

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz::initApplication(*argc > 0 ? (*argv)[0] : nullptr);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray text(reinterpret_cast<const char *>(data), qsizetype(size));
    const OllamaLog log = parseOllamaLog(text);
    (void)ollamaFormatName(log.format);
    (void)ollamaPrefixName(log.prefix);
    for (const OllamaRunner &runner : log.runners)
        (void)ollamaRunnerRoleName(runner.role);

    const QString line = QString::fromUtf8(text);
    const OllamaLine stripped = stripOllamaPrefix(line);
    for (const QString &record : splitGluedRecords(stripped.text))
        (void)parseLogfmt(record);
    (void)parseGoMap(stripped.text);
    (void)ollamaRunnerRole(stripped.text, true, false);
    return 0;
}
