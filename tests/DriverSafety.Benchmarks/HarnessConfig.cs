using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;

namespace DriverSafety.Benchmarks;

/// <summary>
/// The one job of the harness: a short monitoring run (each iteration is one analyzer run of 0.1-10 s, so there is
/// nothing to unroll). Tiered compilation is off so the few iterations measure optimised code, as in a warmed-up
/// compiler server, instead of the JIT promoting Roslyn's methods to tier 1 while being measured. The median is
/// shown beside the mean because the machine is shared.
/// </summary>
public sealed class HarnessConfig : ManualConfig
{
    public HarnessConfig()
    {
        AddJob(Job.Default
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(7)
            .WithEnvironmentVariable("DOTNET_TieredCompilation", "0")
            .WithId("Monitoring-NoTiering"));
        AddColumn(StatisticColumn.Median);
    }
}
