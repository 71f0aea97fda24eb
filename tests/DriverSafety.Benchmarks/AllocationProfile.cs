using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using DriverSafety.Analyzers;

namespace DriverSafety.Benchmarks;

/// <summary>
/// <c>--alloc-profile LINES</c>: the runtime's allocation-tick events (one per ~100 KB allocated, with the type that
/// crossed the threshold) during one DriverSafety run over the generated corpus, summed by type: where our
/// allocations go, without an external profiler.
/// </summary>
public static class AllocationProfile
{
    public static int Run(int lines, TextWriter output)
    {
        var compilation = GeneratedCompilation.Create(DriverCorpus.Generate(lines));
        AnalyzerRun.Diagnostics(compilation, new BindingAndCfgAnalyzer());
        Dictionary<string, long> byType;
        using (var listener = new AllocationListener())
        {
            AnalyzerRun.Diagnostics(compilation, new DriverSafetyAnalyzer());
            byType = new Dictionary<string, long>(listener.ByType, StringComparer.Ordinal);
        }

        var total = byType.Values.Sum();
        output.WriteLine($"sampled {total / 1e6:F0} MB");
        foreach (var (type, bytes) in byType.OrderByDescending(p => p.Value).Take(60))
        {
            output.WriteLine($"{bytes * 100.0 / total,5:F1}%  {bytes / 1e6,7:F1} MB  {type}");
        }

        return 0;
    }

    private sealed class AllocationListener : EventListener
    {
        public ConcurrentDictionary<string, long> ByType { get; } = new(StringComparer.Ordinal);

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName is not null && e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) && e.Payload is { } payload)
            {
                var names = e.PayloadNames!;
                var type = payload[names.IndexOf("TypeName")] as string ?? "?";
                var amount = Convert.ToInt64(payload[names.IndexOf("AllocationAmount64")], System.Globalization.CultureInfo.InvariantCulture);
                ByType.AddOrUpdate(type, amount, (_, v) => v + amount);
            }
        }
    }
}
