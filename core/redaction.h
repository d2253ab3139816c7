// Redaction: what a bundle keeps of values that look secret, when it is recorded and when an
// existing bundle is made fit to share (docs/reliability.md, "Secrets").
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>

namespace initscope {

// What stands in for a value that is not kept.
inline constexpr char kRedacted[] = "<redacted>";

// Which values are secret. Names are matched by substring, in any case: the defaults make
// HF_TOKEN, AWS_SECRET_ACCESS_KEY, PGPASSWORD, GITHUB_AUTH… secret.
struct RedactionPolicy {
    bool enabled = true;
    QStringList namePatterns = defaultNamePatterns();
    QStringList keepNames;     // exact names whose values are kept although they match
    bool urlPasswords = true;  // scheme://user:PASSWORD@host, in any value or text
    // Values of secret variables at least this long are also searched for in every other
    // string the bundle keeps (argument vectors, output, other variables, collected files); a
    // shorter value ("1", "true") would match too much to be worth hiding, and so would a
    // path ("/usr/lib/…", a value starting with '/' without spaces), which is redacted in its
    // variable only.
    int minScrubLength = 6;

    static QStringList defaultNamePatterns();

    bool isSecretName(const QString &name) const;
    // What a bundle keeps of a variable's value: kRedacted for a secret name, else the value
    // with URL passwords replaced.
    QString redactValue(const QString &name, const QString &value) const;

    QJsonObject toJson() const;
    // Reads what toJson() wrote (the bundle's metadata, a run config's "redaction"); keys left
    // out keep their defaults. False with *error for a value of the wrong type.
    static bool fromJson(const QJsonObject &o, RedactionPolicy *policy, QString *error);
};

// What was redacted, for the bundle's metadata and the user.
struct RedactionSummary {
    QSet<QString> variables;   // names whose values were replaced
    int urlPasswords = 0;      // URL passwords replaced
    qint64 scrubbedValues = 0; // occurrences of secret values replaced elsewhere

    void merge(const RedactionSummary &other);
    bool isEmpty() const { return variables.isEmpty() && urlPasswords == 0 && scrubbedValues == 0; }
    // The bundle's "redaction" metadata: {"policy": {...}, "variables": [...], ...}.
    QJsonObject toJson(const RedactionPolicy &policy) const;
    static RedactionSummary fromJson(const QJsonObject &o);
    // "3 variables (HF_TOKEN, MY_KEY, PGPASSWORD), URL passwords in 2 places, secret values in 4
    // other places".
    QString describe() const;
};

// Replaces the secret values of one run wherever they appear, and URL passwords.
class SecretScrubber
{
public:
    explicit SecretScrubber(const RedactionPolicy &policy) : m_policy(policy) {}

    // Redacts one NAME=value entry of an environment and learns the value when it is secret.
    QString redactEnvEntry(const QString &kv, RedactionSummary *summary);
    // Learns a secret value (the value of a secret variable) without redacting anything.
    void addSecretValue(const QString &value);

    bool hasValues() const { return !m_values.isEmpty(); }
    int longestValue() const { return m_longest; }
    const QList<QByteArray> &values() const { return m_values; }

    // text with every learnt value and URL password replaced; counts what it replaced.
    QString scrub(const QString &text, RedactionSummary *summary) const;
    QByteArray scrub(const QByteArray &bytes, RedactionSummary *summary) const;
    // For two consecutive chunks of one output stream, each already scrubbed: a value that
    // starts in `previous` and ends in `current` becomes one marker at the end of `previous`.
    void scrubAcross(QByteArray &previous, QByteArray &current, RedactionSummary *summary) const;

private:
    const RedactionPolicy &m_policy;
    QList<QByteArray> m_values; // longest first, so a value inside another is not cut short
    int m_longest = 0;
};

// Writes a copy of the bundle at `from` to `to` with the policy applied to everything it
// holds: environments, argument vectors, run configs, output, text payloads and collected
// files; the copy is rebuilt (VACUUM) so no freed page keeps an old value, and its metadata
// lists what was redacted. `to` is replaced atomically and only when all of it worked.
bool redactBundleCopy(const QString &from, const QString &to, const RedactionPolicy &policy,
                      RedactionSummary *summary, QString *error);

} // namespace initscope
