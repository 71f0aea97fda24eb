using DriverSafety.Analyzers;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Benchmarks;

/// <summary>A compilation's bodies bound and turned into CFGs up front, so that only the flow engine's walks are timed.</summary>
public sealed class EngineInput
{
    private readonly Compilation _compilation;
    private readonly KnownSymbols _known;
    private readonly IReadOnlyList<ExecutableBody> _bodies;

    private EngineInput(Compilation compilation, KnownSymbols known, IReadOnlyList<ExecutableBody> bodies)
    {
        _compilation = compilation;
        _known = known;
        _bodies = bodies;
    }

    public static EngineInput For(Compilation compilation) =>
        new(compilation,
            ExecutableBody.Known(compilation),
            ExecutableBody.All(compilation));

    private CompilationAnalysis? _warm;

    /// <summary>
    /// Analyses every body in turn on one thread, with fresh per-compilation state (contracts and summaries, which
    /// the first bodies therefore pay for), and returns the engine steps plus the diagnostics reported.
    /// </summary>
    public long Run() => Walk(new CompilationAnalysis(_compilation, _known));

    /// <summary>
    /// As <see cref="Run"/>, but with per-compilation state kept from the first call: contracts are read and callee
    /// summaries inferred once, so later calls time the body walks alone.
    /// </summary>
    public long RunWarm() => Walk(_warm ??= new CompilationAnalysis(_compilation, _known));

    private long Walk(CompilationAnalysis analysis)
    {
        long total = 0;
        foreach (var body in _bodies)
        {
            total += analysis.Analyze(body.Cfg, body.Method, body.Declaration, _ => total++, CancellationToken.None).Steps;
        }

        return total;
    }
}
