using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using DriverSafety.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DriverSafety.Benchmarks;

/// <summary>
/// Generated code of N statements: all in one body (the per-body growth), and as N/10 ten-statement methods calling
/// each other in chains (the interprocedural summaries). The binding+CFG floor is measured for both shapes, and for
/// the one-body shape the flow engine alone (over a CFG built at setup) too.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(HarnessConfig))]
public class ScalingBenchmarks
{
    private CSharpCompilation _oneBody = null!;
    private CSharpCompilation _manyMethods = null!;
    private EngineInput _engineInput = null!;

    [Params(1000, 4000, 16000)]
    public int Statements { get; set; }

    [GlobalSetup(Targets = new[] { nameof(OneBody), nameof(OneBodyBindingAndCfgOnly) })]
    public void SetUpOneBody() =>
        _oneBody = ScalingSource.Compile(ScalingSource.SingleBody(Statements), $"OneBody{Statements}");

    [GlobalSetup(Target = nameof(OneBodyEngineOnly))]
    public void SetUpEngineOnly() =>
        _engineInput = EngineInput.For(ScalingSource.Compile(ScalingSource.SingleBody(Statements), $"OneBody{Statements}"));

    [GlobalSetup(Targets = new[] { nameof(ManySmallMethods), nameof(ManySmallMethodsBindingAndCfgOnly) })]
    public void SetUpManyMethods() =>
        _manyMethods = ScalingSource.Compile(ScalingSource.ManyMethods(Statements), $"ManyMethods{Statements}");

    [Benchmark(Description = "One body")]
    public ImmutableArray<Diagnostic> OneBody() => AnalyzerRun.Diagnostics(_oneBody, new DriverSafetyAnalyzer());

    [Benchmark(Description = "One body, binding+CFG only")]
    public ImmutableArray<Diagnostic> OneBodyBindingAndCfgOnly() => AnalyzerRun.Diagnostics(_oneBody, new BindingAndCfgAnalyzer());

    [Benchmark(Description = "One body, engine only")]
    public long OneBodyEngineOnly() => _engineInput.Run();

    [Benchmark(Description = "N/10 methods in call chains")]
    public ImmutableArray<Diagnostic> ManySmallMethods() => AnalyzerRun.Diagnostics(_manyMethods, new DriverSafetyAnalyzer());

    [Benchmark(Description = "N/10 methods, binding+CFG only")]
    public ImmutableArray<Diagnostic> ManySmallMethodsBindingAndCfgOnly() => AnalyzerRun.Diagnostics(_manyMethods, new BindingAndCfgAnalyzer());
}
