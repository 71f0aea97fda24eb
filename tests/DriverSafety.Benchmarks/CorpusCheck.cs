using DriverSafety.Analyzers;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Benchmarks;

/// <summary>
/// <c>--corpus-check LINES [DIR]</c>: generates the corpus of that size, compiles it against the sample driver, runs
/// DriverSafety over it and compares the findings with the bugs the generator planted (one each); optionally writes the
/// files to DIR. Exit code 1 when the corpus does not compile or the findings differ.
/// </summary>
public static class CorpusCheck
{
    public static int Run(int lines, string? directory, TextWriter output)
    {
        var corpus = DriverCorpus.Generate(lines);
        if (directory is not null)
        {
            corpus.WriteTo(directory);
        }

        var compilation = GeneratedCompilation.Create(corpus);
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        output.WriteLine($"{corpus.Files.Count} files, {corpus.Lines:N0} lines, {corpus.Units} units; largest file {corpus.LargestFile.Name}; compiler errors: {errors.Count}");
        foreach (var error in errors.Take(20))
        {
            output.WriteLine("  " + error);
        }

        var diagnostics = AnalyzerRun.Diagnostics(compilation, new DriverSafetyAnalyzer());
        var actual = diagnostics.GroupBy(d => d.Id).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var expected = corpus.ExpectedFindings.Where(e => e.Value > 0).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        output.WriteLine("planted: " + Describe(expected));
        output.WriteLine("found:   " + Describe(actual));
        var same = actual.Count == expected.Count && actual.All(a => expected.TryGetValue(a.Key, out var n) && n == a.Value);
        if (!same)
        {
            foreach (var d in diagnostics.Where(d => !expected.ContainsKey(d.Id)).Take(20))
            {
                output.WriteLine("  unexpected: " + d);
            }
        }

        return errors.Count == 0 && same ? 0 : 1;
    }

    private static string Describe(IReadOnlyDictionary<string, int> counts) =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} x{c.Value}"));
}
