using System.Collections.Immutable;
using System.Diagnostics;
using DriverSafety.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverSafety.Benchmarks;

/// <summary>
/// <c>--profile LINES [REPEATS]</c>: a quick in-process look (no BenchmarkDotNet) at one generated corpus: wall time of
/// the binding+CFG floor and of DriverSafety, each on a fresh copy of the compilation, with the analyzer driver's own
/// execution-time telemetry for DriverSafety; for finding where time goes, not for the recorded numbers.
/// </summary>
public static class Profile
{
    public static int Run(int lines, int repeats, TextWriter output)
    {
        var corpus = DriverCorpus.Generate(lines);
        var compilation = GeneratedCompilation.Create(corpus);
        output.WriteLine($"{corpus.Lines:N0} lines, {corpus.Files.Count} files");
        for (var i = 0; i < repeats; i++)
        {
            var floor = Time(compilation, new BindingAndCfgAnalyzer());
            var ds = Time(compilation, new DriverSafetyAnalyzer());
            output.WriteLine($"  floor {floor.Wall.TotalMilliseconds:F0} ms; DriverSafety {ds.Wall.TotalMilliseconds:F0} ms (analyzer execution time {ds.Execution.TotalMilliseconds:F0} ms), {ds.Diagnostics} diagnostics");
        }

        return 0;
    }

    private static (TimeSpan Wall, TimeSpan Execution, int Diagnostics) Time(Compilation compilation, DiagnosticAnalyzer analyzer)
    {
        var stopwatch = Stopwatch.StartNew();
        var withAnalyzers = compilation.WithAnalyzers(
            ImmutableArray.Create(analyzer),
            new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: true, logAnalyzerExecutionTime: true));
        var diagnostics = withAnalyzers.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        var wall = stopwatch.Elapsed;
        var telemetry = withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None).GetAwaiter().GetResult();
        return (wall, telemetry.ExecutionTime, diagnostics.Length);
    }
}
