using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverSafety.Benchmarks;

/// <summary>Runs analyzers over a compilation the way the compiler host does: the part every benchmark measures.</summary>
public static class AnalyzerRun
{
    /// <summary>Runs <paramref name="analyzers"/> over <paramref name="compilation"/> and returns their diagnostics.</summary>
    public static ImmutableArray<Diagnostic> Diagnostics(Compilation compilation, params DiagnosticAnalyzer[] analyzers) =>
        compilation.WithAnalyzers(ImmutableArray.Create(analyzers))
            .GetAnalyzerDiagnosticsAsync()
            .GetAwaiter()
            .GetResult();

    /// <summary>"DRV1001 x2, DRV1003 x1" or "none".</summary>
    public static string Summary(ImmutableArray<Diagnostic> diagnostics) =>
        diagnostics.IsEmpty
            ? "none"
            : string.Join(", ", diagnostics.GroupBy(d => d.Id).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} x{g.Count()}"));
}
