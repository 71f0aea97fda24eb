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
            output.WriteLine($"  binding+CFG: wall {floor.Wall.TotalMilliseconds:F0} ms, its execution time {floor.Execution.TotalMilliseconds:F0} ms, CPU {floor.Cpu.TotalMilliseconds:F0} ms, allocated {floor.Allocated / 1e6:F0} MB, retained {floor.Retained / 1e6:F0} MB");
            output.WriteLine($"  DriverSafety: wall {ds.Wall.TotalMilliseconds:F0} ms, its execution time {ds.Execution.TotalMilliseconds:F0} ms, CPU {ds.Cpu.TotalMilliseconds:F0} ms, allocated {ds.Allocated / 1e6:F0} MB, retained {ds.Retained / 1e6:F0} MB; {ds.Diagnostics} diagnostics");
        }

        return 0;
    }

    private static (TimeSpan Wall, TimeSpan Execution, TimeSpan Cpu, long Allocated, long Retained, int Diagnostics) Time(Compilation compilation, DiagnosticAnalyzer analyzer)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        var withAnalyzers = compilation.WithAnalyzers(
            ImmutableArray.Create(analyzer),
            new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: false, logAnalyzerExecutionTime: true));
        var diagnostics = withAnalyzers.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        var wall = stopwatch.Elapsed;
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var allocatedBytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        var telemetry = withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None).GetAwaiter().GetResult();
        var retained = GC.GetTotalMemory(forceFullCollection: true) - before;
        GC.KeepAlive(withAnalyzers);
        return (wall, telemetry.ExecutionTime, cpuUsed, allocatedBytes, retained, diagnostics.Length);
    }
}
