using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace DriverSafety.Tests.Verification;

/// <summary>A diagnostic a test expects: its rule id, the document and span it is reported on, and optional checks on its message and additional locations.</summary>
public sealed record ExpectedDiagnostic(string Id, int DocumentIndex, TextSpan Span)
{
    /// <summary>A substring the diagnostic's message must contain, or null for no check.</summary>
    public string? MessageContains { get; init; }

    /// <summary>How many additional locations the diagnostic must carry, or null for no check.</summary>
    public int? AdditionalLocationCount { get; init; }

    /// <summary>The exact source text of each additional location, in order, or null for no check.</summary>
    public IReadOnlyList<string>? AdditionalLocationTexts { get; init; }
}

/// <summary>
/// Parses test markup: <c>[|text|]</c> expects one diagnostic with the test's default id on <c>text</c>,
/// <c>{|DRV1002:text|}</c> expects one with the id written in the markup. Markup nests.
/// </summary>
public static class Markup
{
    /// <summary>Removes the markup from <paramref name="markup"/>; the expected diagnostics come back in the order their markup opens.</summary>
    public static (string Source, List<ExpectedDiagnostic> Expected) Parse(string markup, int documentIndex, string? defaultId)
    {
        var source = new StringBuilder(markup.Length);
        var open = new Stack<(string? Id, int Start, int Order)>();
        var found = new List<(int Order, ExpectedDiagnostic Diagnostic)>();
        var order = 0;
        var i = 0;
        while (i < markup.Length)
        {
            if (StartsWith(markup, i, "[|"))
            {
                open.Push((null, source.Length, order++));
                i += 2;
            }
            else if (StartsWith(markup, i, "{|"))
            {
                var colon = markup.IndexOf(':', i + 2);
                if (colon < 0)
                {
                    throw new FormatException($"Markup '{{|' at offset {i} has no ':' after its rule id.");
                }

                var id = markup.Substring(i + 2, colon - i - 2);
                if (id.Length == 0 || !id.All(char.IsLetterOrDigit))
                {
                    throw new FormatException($"Markup '{{|' at offset {i} has an invalid rule id '{id}'.");
                }

                open.Push((id, source.Length, order++));
                i = colon + 1;
            }
            else if (StartsWith(markup, i, "|]") || StartsWith(markup, i, "|}"))
            {
                var closesNamed = markup[i + 1] == '}';
                if (open.Count == 0)
                {
                    throw new FormatException($"Markup close '{markup.Substring(i, 2)}' at offset {i} has no matching open.");
                }

                var (id, start, opened) = open.Pop();
                if (closesNamed != (id is not null))
                {
                    throw new FormatException($"Markup close '{markup.Substring(i, 2)}' at offset {i} does not match its open ('{(id is null ? "[|" : "{|" + id + ":")}').");
                }

                id ??= defaultId ?? throw new FormatException("The source uses '[|...|]' but the test names no default diagnostic id.");
                found.Add((opened, new ExpectedDiagnostic(id, documentIndex, TextSpan.FromBounds(start, source.Length))));
                i += 2;
            }
            else
            {
                source.Append(markup[i]);
                i++;
            }
        }

        if (open.Count > 0)
        {
            throw new FormatException($"{open.Count} markup span(s) are never closed.");
        }

        return (source.ToString(), found.OrderBy(f => f.Order).Select(f => f.Diagnostic).ToList());
    }

    private static bool StartsWith(string text, int index, string token) =>
        string.CompareOrdinal(text, index, token, 0, token.Length) == 0;
}
