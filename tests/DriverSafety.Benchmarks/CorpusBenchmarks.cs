using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using DriverSafety.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DriverSafety.Benchmarks;

/// <summary>
/// The whole analyzer over the generated corpus (<see cref="DriverCorpus"/>) at 10k, 50k and 200k lines, in process:
/// DriverSafety against the binding+CFG floor, for the scaling of our own work without a build's fixed costs around it.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(CorpusConfig))]
public class CorpusBenchmarks
{
    [Params(10_000, 50_000, 200_000)]
    public int Lines { get; set; }

    private CSharpCompilation _compilation = null!;

    [GlobalSetup]
    public void SetUp()
    {
        var corpus = DriverCorpus.Generate(Lines);
        _compilation = GeneratedCompilation.Create(corpus);
        Console.WriteLine($"// Corpus: {corpus.Lines} lines, {corpus.Files.Count} files, {corpus.Units} units");
    }

    [Benchmark(Baseline = true, Description = "DriverSafety")]
    public ImmutableArray<Diagnostic> DriverSafety() => AnalyzerRun.Diagnostics(_compilation, new DriverSafetyAnalyzer());

    [Benchmark(Description = "Binding+CFG only")]
    public ImmutableArray<Diagnostic> BindingAndCfgOnly() => AnalyzerRun.Diagnostics(_compilation, new BindingAndCfgAnalyzer());
}

/// <summary>As <see cref="HarnessConfig"/>, with fewer iterations: one 200k-line run takes tens of seconds.</summary>
public sealed class CorpusConfig : BenchmarkDotNet.Configs.ManualConfig
{
    public CorpusConfig()
    {
        AddJob(BenchmarkDotNet.Jobs.Job.Default
            .WithStrategy(BenchmarkDotNet.Engines.RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(1)
            .WithIterationCount(5)
            .WithEnvironmentVariable("DOTNET_TieredCompilation", "0")
            .WithId("Monitoring-NoTiering-Short"));
        AddColumn(BenchmarkDotNet.Columns.StatisticColumn.Median);
    }
}
