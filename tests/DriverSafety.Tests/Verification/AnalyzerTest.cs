using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace DriverSafety.Tests.Verification;

/// <summary>
/// One analyzer test: marked-up sources in, the exact set of (id, span) diagnostics checked out.
/// Built fluently (<c>Verify&lt;T&gt;.Test(src).WithId("DRV1003").Expect(0, additionalLocations: "return;").RunAsync()</c>).
/// </summary>
public sealed class AnalyzerTest<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    private readonly List<string> _sources;
    private readonly Dictionary<int, Func<ExpectedDiagnostic, ExpectedDiagnostic>> _refinements = new();
    private string? _defaultId;
    private string? _messageContains;
    private int? _additionalLocationCount;
    private bool _referenceAnnotations = true;
    private bool _includePrelude = true;
    private bool _allowCompilerErrors;

    public AnalyzerTest(IEnumerable<string> sources) => _sources = sources.ToList();

    /// <summary>The id every <c>[|...|]</c> span expects.</summary>
    public AnalyzerTest<TAnalyzer> WithId(string id)
    {
        _defaultId = id;
        return this;
    }

    /// <summary>Every expected diagnostic's message must contain <paramref name="substring"/>.</summary>
    public AnalyzerTest<TAnalyzer> WithMessageContaining(string substring)
    {
        _messageContains = substring;
        return this;
    }

    /// <summary>Every expected diagnostic must carry exactly <paramref name="count"/> additional locations.</summary>
    public AnalyzerTest<TAnalyzer> WithAdditionalLocationCount(int count)
    {
        _additionalLocationCount = count;
        return this;
    }

    /// <summary>
    /// Refines the <paramref name="index"/>th expected diagnostic (markup order across the documents, from 0):
    /// a message substring, and/or the exact source text of each additional location.
    /// </summary>
    public AnalyzerTest<TAnalyzer> Expect(int index, string? messageContains = null, params string[] additionalLocations)
    {
        _refinements[index] = expected => expected with
        {
            MessageContains = messageContains ?? expected.MessageContains,
            AdditionalLocationCount = additionalLocations.Length > 0 ? additionalLocations.Length : expected.AdditionalLocationCount,
            AdditionalLocationTexts = additionalLocations.Length > 0 ? additionalLocations : expected.AdditionalLocationTexts,
        };
        return this;
    }

    /// <summary>Compiles without DriverSafety.Annotations.dll and without the prelude.</summary>
    public AnalyzerTest<TAnalyzer> WithoutAnnotations()
    {
        _referenceAnnotations = false;
        _includePrelude = false;
        return this;
    }

    /// <summary>Compiles without the prelude (the annotations are still referenced).</summary>
    public AnalyzerTest<TAnalyzer> WithoutPrelude()
    {
        _includePrelude = false;
        return this;
    }

    /// <summary>Lets the source have compiler errors (incomplete-code tests).</summary>
    public AnalyzerTest<TAnalyzer> AllowingCompilerErrors(bool allow = true)
    {
        _allowCompilerErrors = allow;
        return this;
    }

    /// <summary>Runs the analyzer twice and fails the test on any difference from the expectation, any analyzer exception or nondeterminism.</summary>
    public async Task RunAsync()
    {
        var sources = new List<string>();
        var expected = new List<ExpectedDiagnostic>();
        for (var i = 0; i < _sources.Count; i++)
        {
            var (source, marked) = Markup.Parse(_sources[i], i, _defaultId);
            sources.Add(source);
            expected.AddRange(marked);
        }

        foreach (var index in _refinements.Keys.Where(k => k < 0 || k >= expected.Count))
        {
            throw new ArgumentOutOfRangeException(nameof(Expect), $"Expect({index}) refines a diagnostic that the markup does not mark ({expected.Count} marked).");
        }

        expected = expected
            .Select(e => e with { MessageContains = _messageContains, AdditionalLocationCount = _additionalLocationCount })
            .Select((e, i) => _refinements.TryGetValue(i, out var refine) ? refine(e) : e)
            .ToList();

        var project = TestProject.Create(sources, _referenceAnnotations, _includePrelude);
        var compilation = await TestProject.CompileAsync(project, _allowCompilerErrors).ConfigureAwait(false);

        var first = await AnalyzeAsync(compilation).ConfigureAwait(false);
        var second = await AnalyzeAsync(compilation.Clone()).ConfigureAwait(false);
        var firstText = first.Select(Describe).OrderBy(s => s, StringComparer.Ordinal).ToList();
        var secondText = second.Select(Describe).OrderBy(s => s, StringComparer.Ordinal).ToList();
        if (!firstText.SequenceEqual(secondText))
        {
            Assert.Fail("The analyzer is not deterministic: two runs on the same source differ." + Environment.NewLine +
                Section("first run", firstText) + Section("second run", secondText));
        }

        Compare(expected, first, sources);
    }

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(Compilation compilation)
    {
        var exceptions = new ConcurrentQueue<string>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: (exception, analyzer, diagnostic) => exceptions.Enqueue($"{analyzer.GetType().Name}: {exception}"),
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false,
            reportSuppressedDiagnostics: false);
        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new TAnalyzer());
        var diagnostics = await compilation.WithAnalyzers(analyzers, options)
            .GetAnalyzerDiagnosticsAsync(CancellationToken.None).ConfigureAwait(false);

        var crashes = exceptions.Concat(diagnostics.Where(d => d.Id == "AD0001").Select(d => d.ToString())).ToList();
        if (crashes.Count > 0)
        {
            Assert.Fail("The analyzer threw:" + Environment.NewLine + string.Join(Environment.NewLine, crashes));
        }

        return diagnostics;
    }

    private static void Compare(List<ExpectedDiagnostic> expected, ImmutableArray<Diagnostic> actual, List<string> sources)
    {
        // Multiset match on (document, id, span): a diagnostic reported twice on one span is one too many.
        var unmatched = actual.ToList();
        var missing = new List<ExpectedDiagnostic>();
        var problems = new List<string>();
        foreach (var e in expected)
        {
            var match = unmatched.FirstOrDefault(a => a.Id == e.Id && a.Location.IsInSource &&
                a.Location.SourceTree!.FilePath == TestProject.DocumentName(e.DocumentIndex) && a.Location.SourceSpan == e.Span);
            if (match is null)
            {
                missing.Add(e);
                continue;
            }

            unmatched.Remove(match);
            problems.AddRange(CheckDetails(e, match));
        }

        if (missing.Count == 0 && unmatched.Count == 0 && problems.Count == 0)
        {
            return;
        }

        var message = new StringBuilder("The diagnostics differ from the expectation.").AppendLine();
        message.Append(Section("expected", expected.Select(e => DescribeExpected(e, sources))));
        message.Append(Section("actual", actual.Select(Describe)));
        message.Append(Section("missing", missing.Select(e => DescribeExpected(e, sources))));
        message.Append(Section("unexpected", unmatched.Select(Describe)));
        message.Append(Section("wrong details", problems));
        Assert.Fail(message.ToString());
    }

    private static IEnumerable<string> CheckDetails(ExpectedDiagnostic e, Diagnostic actual)
    {
        var message = actual.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        if (e.MessageContains is not null && !message.Contains(e.MessageContains, StringComparison.Ordinal))
        {
            yield return $"{Describe(actual)}: the message does not contain \"{e.MessageContains}\"";
        }

        if (e.AdditionalLocationCount is int count && actual.AdditionalLocations.Count != count)
        {
            yield return $"{Describe(actual)}: {actual.AdditionalLocations.Count} additional location(s), expected {count}";
        }

        if (e.AdditionalLocationTexts is { } texts)
        {
            var actualTexts = actual.AdditionalLocations.Select(LocatedText).ToList();
            if (!actualTexts.SequenceEqual(texts))
            {
                yield return $"{Describe(actual)}: additional locations [{string.Join(", ", actualTexts.Select(t => $"'{t}'"))}], " +
                    $"expected [{string.Join(", ", texts.Select(t => $"'{t}'"))}]";
            }
        }
    }

    private static string DescribeExpected(ExpectedDiagnostic e, List<string> sources)
    {
        var text = sources[e.DocumentIndex];
        var position = Microsoft.CodeAnalysis.Text.SourceText.From(text).Lines.GetLinePosition(e.Span.Start);
        var marked = Clip(text.Substring(e.Span.Start, e.Span.Length));
        var details = e.MessageContains is null ? "" : $" message contains \"{e.MessageContains}\"";
        return $"{TestProject.DocumentName(e.DocumentIndex)}({position.Line + 1},{position.Character + 1}): {e.Id} '{marked}'{details}";
    }

    /// <summary>File(line,col): id 'marked text' message [+ additional locations].</summary>
    private static string Describe(Diagnostic d)
    {
        var extra = d.AdditionalLocations.Count == 0
            ? ""
            : " [additional: " + string.Join(", ", d.AdditionalLocations.Select(l => $"{Where(l)} '{LocatedText(l)}'")) + "]";
        return $"{Where(d.Location)}: {d.Id} '{LocatedText(d.Location)}' {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}{extra}";
    }

    private static string Where(Location location)
    {
        if (!location.IsInSource)
        {
            return "<no source location>";
        }

        var start = location.GetLineSpan().StartLinePosition;
        return $"{location.SourceTree!.FilePath}({start.Line + 1},{start.Character + 1})";
    }

    private static string LocatedText(Location location) =>
        location.IsInSource ? Clip(location.SourceTree!.GetText().ToString(location.SourceSpan)) : "";

    private static string Clip(string text)
    {
        var oneLine = string.Join(" ", text.Split('\n').Select(l => l.Trim()));
        return oneLine.Length <= 80 ? oneLine : oneLine.Substring(0, 77) + "...";
    }

    private static string Section(string title, IEnumerable<string> lines)
    {
        var list = lines.ToList();
        var builder = new StringBuilder().AppendLine($"--- {title} ({list.Count}) ---");
        foreach (var line in list)
        {
            builder.Append("  ").AppendLine(line);
        }

        return builder.ToString();
    }
}
