using System.Globalization;
using DriverSafety.Tests.Verification;
using Microsoft.CodeAnalysis;
using Xunit;
using Xunit.Abstractions;

namespace DriverSafety.Tests.Robustness;

/// <summary>
/// Mutation fuzzing as an editor host analyses: one document at a time, mid-edit, full of syntax errors, with all four
/// rule families on. The inputs are the example driver, the context kernel with its driver, and every rule test's input
/// that compiles (see <see cref="EditorFuzzer"/>). CI runs 1,200 seeded mutants; the larger run is
/// <c>DRIVERSAFETY_FUZZ_MUTANTS=10000 dotnet test tests/DriverSafety.Tests --filter FullyQualifiedName~EditorMutationTests</c>
/// (that many mutants per seed).
/// </summary>
public sealed class EditorMutationTests
{
    private readonly ITestOutputHelper _output;

    public EditorMutationTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void The_corpora_hold_the_example_the_kernels_and_hundreds_of_rule_test_inputs()
    {
        var corpora = EditorFuzzer.Corpora();

        Assert.Equal("example", corpora[0].Name);
        Assert.Equal("context", corpora[1].Name);
        Assert.Equal("sample-driver", corpora[EditorFuzzer.SampleDriver].Name);
        Assert.InRange(corpora[EditorFuzzer.SampleDriver].Mutable.Length, 40, int.MaxValue);
        foreach (var family in new[] { "Locking/", "Context/", "Lifetimes/", "LockOrder/", "Annotations/" })
        {
            Assert.InRange(corpora.Count(c => c.Name.StartsWith(family, StringComparison.Ordinal)), 10, int.MaxValue);
        }

        Assert.All(corpora, c => Assert.Empty(c.Compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task Per_document_analysis_finds_what_the_build_finds_in_that_document(int which)
    {
        // Unbroken, the editor's per-document answer is the build's answer restricted to the document (less the
        // compilation-end rules, which an editor asks for separately).
        var corpus = EditorFuzzer.Corpora()[which];
        var (build, buildExceptions) = await AnalyzerRun.AnalyzeAsync(corpus.Compilation);
        Assert.Empty(buildExceptions);
        var total = 0;
        foreach (var tree in corpus.Compilation.SyntaxTrees)
        {
            var document = await EditorFuzzer.AnalyzeDocumentAsync(corpus.Compilation, tree, compilationEnd: false);
            Assert.Empty(document.Exceptions);
            var expected = build.Where(d => d.Location.SourceTree == tree && !d.Descriptor.CustomTags.Contains(WellKnownDiagnosticTags.CompilationEnd)).Select(Describe).OrderBy(s => s, StringComparer.Ordinal);
            Assert.Equal(expected, document.Diagnostics.Select(Describe).OrderBy(s => s, StringComparer.Ordinal));
            total += document.Diagnostics.Length;
        }

        // Both break rules on purpose (the example shows its findings in the README).
        Assert.InRange(total, 1, int.MaxValue);
    }

    [Theory]
    [InlineData(1501)]
    [InlineData(1502)]
    [InlineData(1503)]
    public async Task Broken_documents_never_make_the_analyzer_throw(int seed)
    {
        var mutants = Environment.GetEnvironmentVariable("DRIVERSAFETY_FUZZ_MUTANTS") is { Length: > 0 } text
            ? int.Parse(text, CultureInfo.InvariantCulture)
            : 400;

        var run = await EditorFuzzer.RunAsync(seed, mutants);

        _output.WriteLine($"seed {seed}: {run.Mutants} mutants in {run.Elapsed.TotalSeconds:F1} s, {run.WithCompilerErrors} with compiler errors, {run.WithFindings} with findings; " +
            string.Join(", ", run.PerOperator.Select(p => $"{p.Key} {p.Value}")));
        Assert.True(run.Failures.Count == 0, $"{run.Failures.Count} of {run.Mutants} mutants made the analyzer throw:" + Environment.NewLine + string.Join(Environment.NewLine, run.Failures.Take(10)));

        // The mutants did break the code, every operator was used, and the analyzer kept reporting on broken code.
        Assert.Equal(mutants, run.Mutants);
        Assert.InRange(run.WithCompilerErrors, mutants / 2, mutants);
        Assert.InRange(run.WithFindings, mutants / 20, mutants);
        Assert.All(run.PerOperator, p => Assert.InRange(p.Value, mutants / 20, mutants));
    }

    private static string Describe(Diagnostic d) =>
        $"{d.Location.GetLineSpan()} {d.Id} {d.GetMessage(CultureInfo.InvariantCulture)} [{string.Join(", ", d.AdditionalLocations.Select(l => l.GetLineSpan().ToString()))}]";
}
