using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using DriverSafety.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverSafety.Benchmarks;

/// <summary>
/// The sample driver analysed by DriverSafety, and side by side by the two disposal-tracking dataflow rules of the
/// ecosystem (CA2000, IDISP001) and by an analyzer that only binds and builds CFGs (the shared floor); and the flow
/// engine alone over CFGs built at setup (DriverSafety's own share).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(HarnessConfig))]
public class SampleDriverBenchmarks
{
    private CSharpCompilation _compilation = null!;
    private EngineInput _engineInput = null!;
    private CSharpCompilation _ca2000Compilation = null!;
    private CSharpCompilation _idisp001Compilation = null!;
    private Func<DiagnosticAnalyzer[]> _ca2000 = null!;
    private Func<DiagnosticAnalyzer[]> _idisp001 = null!;

    [GlobalSetup(Targets = new[] { nameof(DriverSafety), nameof(BindingAndCfgOnly) })]
    public void SetUp() => _compilation = Load();

    [GlobalSetup(Targets = new[] { nameof(DriverSafetyEngineOnly), nameof(DriverSafetyBodyWalksOnly) })]
    public void SetUpEngineOnly() => _engineInput = EngineInput.For(Load());

    [GlobalSetup(Target = nameof(Ca2000))]
    public void SetUpCa2000()
    {
        _ca2000 = ThirdPartyAnalyzers.Factory(ThirdPartyAnalyzers.NetAnalyzersFolder, ThirdPartyAnalyzers.Ca2000);
        _ca2000Compilation = ThirdPartyAnalyzers.EnableOnly(Load(), ThirdPartyAnalyzers.Ca2000, _ca2000());
    }

    [GlobalSetup(Target = nameof(Idisp001))]
    public void SetUpIdisp001()
    {
        _idisp001 = ThirdPartyAnalyzers.Factory(ThirdPartyAnalyzers.IDisposableAnalyzersFolder, ThirdPartyAnalyzers.Idisp001);
        _idisp001Compilation = ThirdPartyAnalyzers.EnableOnly(Load(), ThirdPartyAnalyzers.Idisp001, _idisp001());
    }

    [Benchmark(Baseline = true, Description = "DriverSafety")]
    public ImmutableArray<Diagnostic> DriverSafety() => AnalyzerRun.Diagnostics(_compilation, new DriverSafetyAnalyzer());

    [Benchmark(Description = "DriverSafety, engine only (1 thread)")]
    public long DriverSafetyEngineOnly() => _engineInput.Run();

    [Benchmark(Description = "DriverSafety, body walks only (warm summaries, 1 thread)")]
    public long DriverSafetyBodyWalksOnly() => _engineInput.RunWarm();

    [Benchmark(Description = "Binding+CFG only")]
    public ImmutableArray<Diagnostic> BindingAndCfgOnly() => AnalyzerRun.Diagnostics(_compilation, new BindingAndCfgAnalyzer());

    [Benchmark(Description = "CA2000 (NetAnalyzers)")]
    public ImmutableArray<Diagnostic> Ca2000() => AnalyzerRun.Diagnostics(_ca2000Compilation, _ca2000());

    [Benchmark(Description = "IDISP001 (IDisposableAnalyzers)")]
    public ImmutableArray<Diagnostic> Idisp001() => AnalyzerRun.Diagnostics(_idisp001Compilation, _idisp001());

    private static CSharpCompilation Load()
    {
        var source = SampleDriverSource.Load();
        var errors = source.Errors();
        Console.WriteLine(
            $"// Sample driver: {source.Files} files, {source.Lines} lines, {source.LinesOfCode} lines of code, {errors.Count} compiler errors");
        foreach (var error in errors.Take(5))
        {
            Console.WriteLine("//   " + error);
        }

        return source.Compilation;
    }
}
