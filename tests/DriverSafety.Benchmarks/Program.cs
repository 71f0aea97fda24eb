using BenchmarkDotNet.Running;

namespace DriverSafety.Benchmarks;

public static class Program
{
    /// <summary>
    /// <c>--steps</c>: the deterministic engine-step counts (no timing); <c>--steps-per-body FILE</c>: one line per body of
    /// the sample driver and the scaling shapes (body, blocks, steps), to compare two versions of the engine body by body. Anything else goes to BenchmarkDotNet,
    /// e.g. <c>--filter '*'</c> or <c>--filter '*Scaling*'</c>.
    /// </summary>
    public static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == "--steps-per-body")
        {
            StepsReport.PerBody(args[1]);
            return 0;
        }

        if (args.Length >= 1 && args[0] == "--compiler-runs")
        {
            return BuildBenchmark.RunCompiler(args, Console.Out);
        }

        if (args.Length >= 1 && args[0] == "--builds")
        {
            return BuildBenchmark.Run(args, Console.Out);
        }

        if (args.Length is 2 or 3 && args[0] == "--profile-document")
        {
            // The per-document request, repeated, for a profiler to attach to: the sample driver's largest file, or with
            // "generated" the largest file of the 200k-line corpus.
            var benchmark = new PerDocumentBenchmarks
            {
                Document = args.Length == 3 && args[2] == "generated" ? PerDocumentBenchmarks.DocumentKind.Generated200kLargest : PerDocumentBenchmarks.DocumentKind.SampleDriverLargest,
            };
            benchmark.SetUp();
            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            for (var i = 0; i < int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture); i++)
            {
                stopwatch.Restart();
                benchmark.DriverSafety();
                Console.WriteLine($"{stopwatch.ElapsedMilliseconds} ms");
            }

            return 0;
        }

        if (args.Length == 2 && args[0] == "--alloc-profile")
        {
            return AllocationProfile.Run(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture), Console.Out);
        }

        if (args.Length >= 2 && args[0] == "--profile")
        {
            return Profile.Run(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture), args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3, Console.Out);
        }

        if (args.Length >= 2 && args[0] == "--corpus-check")
        {
            return CorpusCheck.Run(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture), args.Length > 2 ? args[2] : null, Console.Out);
        }

        if (args.Length == 1 && args[0] == "--steps")
        {
            StepsReport.Run(Console.Out);
            return 0;
        }

        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return summaries.Any(summary => summary.HasCriticalValidationErrors || summary.Reports.Any(report => !report.Success)) ? 1 : 0;
    }
}
