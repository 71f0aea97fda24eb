using System.Collections.Immutable;
using System.Text;
using DriverSafety.Tests.Verification;
using Microsoft.CodeAnalysis;
using Xunit;

namespace DriverSafety.Tests.Robustness;

/// <summary>
/// The analyzer is deterministic: repeated runs on one compilation, several at once and each with concurrent analysis
/// (as in a build), report the same diagnostics — id, span, message, additional locations — in the same order once
/// sorted by location. (The order in which concurrent analysis hands diagnostics back is the order the analyzer's
/// actions happen to finish in; the compiler and the test framework sort them by location.) The rule tests check one
/// run each; this is the check the old verifier made on every test, here on a source that breaks every rule many
/// times over, with cross-method summaries computed concurrently.
/// </summary>
public sealed class DeterminismTests
{
    private const int Runs = 4;

    /// <summary>One class that breaks every rule once; the test source holds many copies of it.</summary>
    private const string EveryRule = """
        public sealed class Dev{0}
        {
            private readonly Mutex _m = new Mutex();
            private readonly SpinLock _s = new SpinLock();
            private readonly RwSemaphore _sem = new RwSemaphore();
            [GuardedBy("_m")] public int State;
            public int Count;
            [GuardedBy("Count")] public int Misapplied;

            [Requires("_m")] public void Update() { State++; }
            [Excludes("_m")] public void Reset() { _m.Lock(); _m.Unlock(); }
            [Requires("NoSuchLock")] public void Flush() { }
            [Acquires("_m")] public void LockDev() { }

            private void Helper() { _m.Lock(); _m.Unlock(); }

            public int Read() => State;
            public void CallUpdate() { Update(); }
            public void Leak(bool busy) { _m.Lock(); if (busy) return; State = 1; }
            public void DoubleUnlock() { _m.Lock(); _m.Unlock(); _m.Unlock(); }
            public void Twice() { _m.Lock(); Helper(); _m.Unlock(); }
            public void Upgrade() { _sem.DownRead(); _sem.DownWrite(); _sem.UpWrite(); }
            public void Excluded() { _m.Lock(); Reset(); _m.Unlock(); }
            public void SomePaths(bool quick) { if (!quick) _m.Lock(); _m.Unlock(); }
            public void WrongMode() { _sem.DownRead(); _sem.UpWrite(); }
            public void Sleepy() { _s.Lock(); _m.Lock(); _m.Unlock(); _s.Unlock(); }
        }

        """;

    [Fact]
    public async Task Repeated_concurrent_runs_report_every_rule_the_same_way()
    {
        var source = new StringBuilder();
        for (var i = 0; i < 10; i++)
        {
            source.Append(EveryRule.Replace("{0}", i.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        }

        var compilation = AnalyzerRun.Compile("Determinism", new[] { AnalyzerRun.Prelude(), AnalyzerRun.Parse(source.ToString(), "Test0.cs") });
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var runs = await RunConcurrentlyAsync(compilation);

        var ids = runs[0].Select(d => d.Split(' ')[1]).Distinct().OrderBy(id => id, StringComparer.Ordinal);
        Assert.Equal(new[] { "DRV1001", "DRV1002", "DRV1003", "DRV1004", "DRV1005", "DRV1006", "DRV1009", "DRV1011", "DRV2001", "DRV9001", "DRV9002", "DRV9003" }, ids);
        AssertAllEqual(runs);
    }

    private static async Task<List<string>[]> RunConcurrentlyAsync(Compilation compilation)
    {
        var runs = await Task.WhenAll(Enumerable.Range(0, Runs).Select(_ => Task.Run(async () =>
        {
            var (diagnostics, exceptions) = await AnalyzerRun.AnalyzeAsync(compilation.Clone());
            Assert.True(exceptions.Count == 0, "The analyzer threw:" + Environment.NewLine + string.Join(Environment.NewLine, exceptions));
            return diagnostics;
        })));
        return runs.Select(run => run
            .OrderBy(d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal)
            .ThenBy(d => d.Location.SourceSpan.Start)
            .ThenBy(d => d.Location.SourceSpan.End)
            .ThenBy(Describe, StringComparer.Ordinal)
            .Select(Describe)
            .ToList()).ToArray();
    }

    private static void AssertAllEqual(List<string>[] runs)
    {
        for (var i = 1; i < runs.Length; i++)
        {
            Assert.True(runs[0].SequenceEqual(runs[i]), $"Run {i} differs from run 0 (same compilation):" + Environment.NewLine +
                string.Join(Environment.NewLine, runs[0].Zip(runs[i]).Where(p => p.First != p.Second).Take(5).Select(p => $"  run 0: {p.First}{Environment.NewLine}  run {i}: {p.Second}")) +
                (runs[0].Count != runs[i].Count ? $"{Environment.NewLine}  {runs[0].Count} diagnostics against {runs[i].Count}" : ""));
        }
    }

    /// <summary>File(line,col)-(line,col) id message [additional locations].</summary>
    private static string Describe(Diagnostic d) =>
        $"{Where(d.Location)} {d.Id} {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)} [{string.Join(", ", d.AdditionalLocations.Select(Where))}]";

    private static string Where(Location location)
    {
        var span = location.GetLineSpan();
        return $"{Path.GetFileName(span.Path)}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1})-({span.EndLinePosition.Line + 1},{span.EndLinePosition.Character + 1})";
    }
}
