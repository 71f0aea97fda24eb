using System.Text;
using DriverSafety.Tests.Verification;
using Microsoft.CodeAnalysis;
using Xunit;

namespace DriverSafety.Tests.LockOrder;

/// <summary>
/// The lock-order family is deterministic: many cycles, declared-order violations and same-class nestings spread over
/// several files, with their edges added concurrently by the body walks in whatever order the host runs them, give the
/// same diagnostics (location, message, additional locations) in every run, in the same order once sorted by location
/// (as the compiler sorts them).
/// </summary>
public sealed class LockOrderDeterminismTests
{
    private const string Cycle = """
        public static class Locks{0}
        {
            [AcquiredBefore("Locks{0}.D")]
            public static readonly Mutex A = new Mutex();
            public static readonly Mutex B = new Mutex();
            public static readonly Mutex C = new Mutex();
            public static readonly Mutex D = new Mutex();

            private static void TakeB() { B.Lock(); B.Unlock(); }
            private static void TakeC() { C.Lock(); C.Unlock(); }
            private static void TakeA() { A.Lock(); A.Unlock(); }

            public static void AB() { A.Lock(); TakeB(); A.Unlock(); }
            public static void BC() { B.Lock(); TakeC(); B.Unlock(); }
            public static void CA() { C.Lock(); TakeA(); C.Unlock(); }
            public static void BA() { B.Lock(); TakeA(); B.Unlock(); }
            public static void DA() { D.Lock(); A.Lock(); A.Unlock(); D.Unlock(); }
            public static void Nest(Gem x, Gem y) { x.Resv.Lock(); y.Resv.Lock(); y.Resv.Unlock(); x.Resv.Unlock(); }
        }

        """;

    [Fact]
    public async Task Repeated_concurrent_runs_report_the_same_lock_order_findings()
    {
        var trees = new List<SyntaxTree> { AnalyzerRun.Prelude(), AnalyzerRun.Parse("public sealed class Gem { public readonly Mutex Resv = new Mutex(); }", "Gem.cs") };
        for (var file = 0; file < 4; file++)
        {
            var source = new StringBuilder();
            for (var i = 0; i < 5; i++)
            {
                source.Append(Cycle.Replace("{0}", (file * 5 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
            }

            trees.Add(AnalyzerRun.Parse(source.ToString(), $"Test{file}.cs"));
        }

        var compilation = AnalyzerRun.Compile("LockOrderDeterminism", trees);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var (diagnostics, exceptions) = await AnalyzerRun.AnalyzeAsync(compilation.Clone());
            Assert.Empty(exceptions);
            // Concurrent analysis hands diagnostics back in the order its actions finish; the compiler sorts them by location.
            // DRV9003 (Info) notes the public methods that take sleeping locks; this test is about lock order.
            return diagnostics.Where(d => d.Id != "DRV9003").OrderBy(d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal).ThenBy(d => d.Location.SourceSpan.Start)
                .ThenBy(Describe, StringComparer.Ordinal).Select(Describe).ToList();
        })));

        // Per class of 20: one cycle (A, B, C), one live declared-order finding (A under D), one DRV1010.
        Assert.Equal(20, runs[0].Count(d => d.Contains(" DRV1007 Lock-order inversion: lock classes", StringComparison.Ordinal)));
        Assert.Equal(20, runs[0].Count(d => d.Contains("the declared order puts", StringComparison.Ordinal)));
        Assert.Equal(20, runs[0].Count(d => d.Contains(" DRV1010 ", StringComparison.Ordinal)));
        Assert.Equal(60, runs[0].Count);
        for (var i = 1; i < runs.Length; i++)
        {
            Assert.Equal(runs[0], runs[i]);
        }
    }

    private static string Describe(Diagnostic d) =>
        $"{Where(d.Location)} {d.Id} {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)} [{string.Join(", ", d.AdditionalLocations.Select(Where))}]";

    private static string Where(Location location)
    {
        var span = location.GetLineSpan();
        return $"{Path.GetFileName(span.Path)}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1})";
    }
}
