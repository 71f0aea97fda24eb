using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace DriverSafety.Benchmarks;

/// <summary>
/// <c>--builds</c>: whole <c>dotnet build --no-incremental</c> runs of the generated corpus (<see cref="DriverCorpus"/>)
/// at each size, under eight analyzer configurations, in paired rounds (every round builds every configuration once,
/// in an order rotated per round), each build timed by <c>/usr/bin/time</c>: wall clock, CPU (user + system, the
/// compiler's child process included, since <c>UseSharedCompilation=false</c> keeps the compiler out of a server),
/// and peak resident memory (the largest of the build's processes: the compiler's). Prints medians and paired ratios
/// as markdown. Every build is checked: it must succeed, and it must print exactly the findings the corpus planted when
/// DriverSafety runs, and none otherwise.
/// </summary>
public static partial class BuildBenchmark
{
    /// <summary>An analyzer configuration of the corpus project (the <c>BenchConfig</c> property).</summary>
    public sealed record Config(string Name, string Description);

    public static readonly Config Sdk = new("sdk", "SDK default analyzers");
    public static readonly Config SdkDs = new("sdk+ds", "SDK default analyzers + DriverSafety");
    public static readonly Config None = new("none", "no analyzers");
    public static readonly Config Empty = new("empty", "an empty analyzer");
    public static readonly Config Cfg = new("cfg", "binding+CFG only (the floor of any flow analyzer)");
    public static readonly Config Ds = new("ds", "DriverSafety alone");
    public static readonly Config Ca2000 = new("ca2000", "CA2000 alone (NetAnalyzers 11.0.100)");
    public static readonly Config Idisp = new("idisp", "IDisposableAnalyzers 4.0.8 (all rules)");

    public static readonly IReadOnlyList<Config> All = new[] { Sdk, SdkDs, None, Empty, Cfg, Ds, Ca2000, Idisp };

    /// <summary>
    /// The configurations run when none are named: all eight. (<see cref="Cfg"/> was left out of the default while its
    /// analyzer's only diagnostic was Hidden: a command-line compiler does not run such an analyzer, so it measured nothing.)
    /// </summary>
    public static readonly IReadOnlyList<Config> Default = All;

    /// <summary>One timed build.</summary>
    public sealed record Sample(double WallSeconds, double CpuSeconds, long PeakKilobytes);

    public static int Run(string[] args, TextWriter output)
    {
        var sizes = Option(args, "--sizes", "10000,50000,200000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var rounds = int.Parse(Option(args, "--rounds", "5"), CultureInfo.InvariantCulture);
        var configNames = Option(args, "--configs", string.Join(",", Default.Select(c => c.Name))).Split(',');
        var configs = configNames.Select(name => All.Single(c => c.Name == name)).ToList();
        var work = Option(args, "--work", Path.Combine(Path.GetTempPath(), "driversafety-build-benchmark"));

        var started = DateTime.UtcNow;
        output.WriteLine($"# Build benchmark, {started:yyyy-MM-dd HH:mm} UTC, commit {Git("rev-parse --short HEAD")}");
        output.WriteLine();
        output.WriteLine($"Machine: {Environment.ProcessorCount} cores, {Describe("nproc")}; {Describe("uname -sr")}; .NET SDK {Describe("dotnet --version")}; load average at start {LoadAverage()}.");
        output.WriteLine($"Rounds: {rounds} per size, each building every configuration once (order rotated per round), after one untimed warm-up build per configuration.");
        output.WriteLine();

        var inputs = Prepare(output);
        var results = new Dictionary<(int Size, string Config), List<Sample>>();
        foreach (var size in sizes)
        {
            var (directory, expected) = SetUpCorpus(size, work, inputs, output);

            PairedRounds(configs, rounds, size, results, config => Build(directory, config, expected));
            WriteSize(output, size, configs, results);
            output.Flush();
        }

        WriteScaling(output, sizes, configs, results);
        output.WriteLine($"Finished {DateTime.UtcNow:HH:mm} UTC ({(DateTime.UtcNow - started).TotalMinutes:F0} min); load average at the end {LoadAverage()}.");
        return 0;
    }

    private sealed record Inputs(string Analyzer, string EmptyAnalyzer, string CfgAnalyzer, string Annotations, string SampleDriver, string NetAnalyzers, string IDisposableAnalyzers);

    /// <summary>Builds, in Release, the analyzer, the empty analyzer and the sample driver the corpus references.</summary>
    private static Inputs Prepare(TextWriter output)
    {
        var root = RepositoryLayout.Root;
        Dotnet(root, "build", "analyzers/DriverSafety.Analyzers", "-c", "Release", "-v:q", "-nodeReuse:false");
        Dotnet(root, "build", "tests/DriverSafety.Benchmarks.EmptyAnalyzer", "-c", "Release", "-v:q", "-nodeReuse:false");
        Dotnet(root, "build", "tests/DriverSafety.Benchmarks.CfgAnalyzer", "-c", "Release", "-v:q", "-nodeReuse:false");
        Dotnet(root, "build", "sample-driver/DriverSafety.SampleDriver", "-c", "Release", "-v:q", "-nodeReuse:false");
        var sampleBin = Path.Combine(RepositoryLayout.SampleDriverDirectory, "bin", "Release", "net10.0");
        var inputs = new Inputs(
            Path.Combine(root, "analyzers", "DriverSafety.Analyzers", "bin", "Release", "netstandard2.0", "DriverSafety.Analyzers.dll"),
            Path.Combine(root, "tests", "DriverSafety.Benchmarks.EmptyAnalyzer", "bin", "Release", "netstandard2.0", "DriverSafety.Benchmarks.EmptyAnalyzer.dll"),
            Path.Combine(root, "tests", "DriverSafety.Benchmarks.CfgAnalyzer", "bin", "Release", "netstandard2.0", "DriverSafety.Benchmarks.CfgAnalyzer.dll"),
            Path.Combine(sampleBin, "DriverSafety.Annotations.dll"),
            Path.Combine(sampleBin, "DriverSafety.SampleDriver.dll"),
            ThirdPartyAnalyzers.NetAnalyzersFolder,
            ThirdPartyAnalyzers.IDisposableAnalyzersFolder);
        foreach (var file in new[] { inputs.Analyzer, inputs.EmptyAnalyzer, inputs.CfgAnalyzer, inputs.Annotations, inputs.SampleDriver })
        {
            if (!File.Exists(file))
            {
                throw new InvalidOperationException($"'{file}' was not built.");
            }
        }

        output.WriteLine($"Analyzer under test: `{Path.GetRelativePath(root, inputs.Analyzer)}` (Release).");
        output.WriteLine();
        return inputs;
    }

    /// <summary>
    /// The corpus project: a library referencing the sample driver's compiled assembly and the annotations; the
    /// <c>BenchConfig</c> property chooses the analyzers, set in a target just before <c>CoreCompile</c> so that the
    /// SDK's own analyzer items (NetAnalyzers, the runtime pack's source generators) can be removed for the configs
    /// that run without them.
    /// </summary>
    private static void WriteProject(string directory, Inputs inputs)
    {
        // Empty props/targets stop MSBuild from importing anything above the temporary folder.
        File.WriteAllText(Path.Combine(directory, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(directory, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(directory, "Directory.Packages.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(directory, "ca2000.globalconfig"), """
            is_global = true
            global_level = 100
            dotnet_analyzer_diagnostic.severity = none
            dotnet_diagnostic.CA2000.severity = warning

            """);
        var netAnalyzers = string.Join(";", Directory.GetFiles(inputs.NetAnalyzers, "*.dll").OrderBy(p => p, StringComparer.Ordinal));
        var idisp = string.Join(";", Directory.GetFiles(inputs.IDisposableAnalyzers, "*.dll").OrderBy(p => p, StringComparer.Ordinal));
        File.WriteAllText(Path.Combine(directory, "Corpus.csproj"), $$"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>disable</ImplicitUsings>
                <LangVersion>latest</LangVersion>
                <Deterministic>true</Deterministic>
                <GenerateDocumentationFile>false</GenerateDocumentationFile>
                <DebugType>portable</DebugType>
                <UseSharedCompilation>false</UseSharedCompilation>
                <EnableDefaultCompileItems>false</EnableDefaultCompileItems>
                <EnableNETAnalyzers Condition="'$(BenchConfig)' != 'sdk' and '$(BenchConfig)' != 'sdk+ds'">false</EnableNETAnalyzers>
              </PropertyGroup>
              <ItemGroup>
                <Compile Include="src/*.cs" />
                <Reference Include="DriverSafety.Annotations" HintPath="{{inputs.Annotations}}" />
                <Reference Include="DriverSafety.SampleDriver" HintPath="{{inputs.SampleDriver}}" />
              </ItemGroup>
              <ItemGroup Condition="'$(BenchConfig)' == 'ca2000'">
                <GlobalAnalyzerConfigFiles Include="ca2000.globalconfig" />
              </ItemGroup>
              <Target Name="BenchAnalyzers" BeforeTargets="CoreCompile">
                <ItemGroup Condition="'$(BenchConfig)' != 'sdk' and '$(BenchConfig)' != 'sdk+ds'">
                  <Analyzer Remove="@(Analyzer)" />
                </ItemGroup>
                <ItemGroup>
                  <Analyzer Include="{{inputs.Analyzer}}" Condition="'$(BenchConfig)' == 'sdk+ds' or '$(BenchConfig)' == 'ds'" />
                  <Analyzer Include="{{inputs.EmptyAnalyzer}}" Condition="'$(BenchConfig)' == 'empty'" />
                  <Analyzer Include="{{inputs.CfgAnalyzer}}" Condition="'$(BenchConfig)' == 'cfg'" />
                  <Analyzer Include="{{netAnalyzers}}" Condition="'$(BenchConfig)' == 'ca2000'" />
                  <Analyzer Include="{{idisp}}" Condition="'$(BenchConfig)' == 'idisp'" />
                </ItemGroup>
                <Message Importance="high" Text="BenchAnalyzers: @(Analyzer->'%(Filename)', ',')" />
              </Target>
            </Project>

            """);
    }

    private static Sample Build(string directory, Config config, IReadOnlyDictionary<string, int> expected)
    {
        var timeFile = Path.Combine(directory, "time.txt");
        var result = ChildProcess("/usr/bin/time", directory,
            "-f", "%e %U %S %M", "-o", timeFile,
            "dotnet", "build", "Corpus.csproj", "--no-restore", "-c", "Release", "--no-incremental", "-nodeReuse:false",
            "-tl:off", "-v:m", "-clp:NoSummary", $"-p:BenchConfig={config.Name}");
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"The {config.Name} build failed:\n{result.Output}");
        }

        var analyzers = result.Output.Split('\n').FirstOrDefault(l => l.Contains("BenchAnalyzers:", StringComparison.Ordinal))?.Trim() ?? "?";
        CheckFindings(result.Output, config, expected, $"The {config.Name} build ({analyzers})");

        return ReadTime(timeFile);
    }

    /// <summary>
    /// One untimed run of every configuration, then <paramref name="rounds"/> rounds, each running every configuration
    /// once in an order rotated per round; the samples go to <paramref name="results"/> under (size, configuration).
    /// </summary>
    private static void PairedRounds(IReadOnlyList<Config> configs, int rounds, int size, Dictionary<(int Size, string Config), List<Sample>> results, Func<Config, Sample> run)
    {
        foreach (var config in configs)
        {
            run(config);
        }

        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < configs.Count; i++)
            {
                var config = configs[(i + round) % configs.Count];
                var sample = run(config);
                if (!results.TryGetValue((size, config.Name), out var list))
                {
                    results[(size, config.Name)] = list = new List<Sample>();
                }

                list.Add(sample);
            }
        }
    }

    /// <summary>Writes the corpus of one size and its project (restored) under <paramref name="work"/>; returns its folder and the planted findings.</summary>
    private static (string Directory, Dictionary<string, int> Expected) SetUpCorpus(int size, string work, Inputs inputs, TextWriter output)
    {
        var corpus = DriverCorpus.Generate(size);
        var directory = Path.Combine(work, $"corpus-{size}");
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        corpus.WriteTo(Path.Combine(directory, "src"));
        WriteProject(directory, inputs);
        Dotnet(directory, "restore", "Corpus.csproj", "-v:q");
        var expected = corpus.ExpectedFindings.Where(e => e.Value > 0).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        output.WriteLine($"## {corpus.Lines:N0} lines ({corpus.Files.Count} files, {corpus.Units} units; planted findings: {string.Join(", ", expected.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key} x{e.Value}"))})");
        output.WriteLine();
        output.Flush();
        return (directory, expected);
    }

    /// <summary><c>/usr/bin/time -f "%e %U %S %M"</c>'s last line: wall, CPU (user + system), peak resident kilobytes.</summary>
    private static Sample ReadTime(string timeFile)
    {
        var fields = File.ReadAllText(timeFile).Trim().Split('\n').Last().Split(' ');
        double Number(int i) => double.Parse(fields[i], CultureInfo.InvariantCulture);
        return new Sample(Number(0), Number(1) + Number(2), long.Parse(fields[3], CultureInfo.InvariantCulture));
    }

    /// <summary>Every timed run must print exactly the planted findings when DriverSafety runs, and none otherwise.</summary>
    private static void CheckFindings(string output, Config config, IReadOnlyDictionary<string, int> expected, string what)
    {
        var findings = output.Split('\n')
            .Where(l => l.Contains(": warning DRV", StringComparison.Ordinal))
            .Select(l => l.Trim())
            .Distinct(StringComparer.Ordinal)
            .GroupBy(l => l.Substring(l.IndexOf(": warning DRV", StringComparison.Ordinal) + ": warning ".Length, 7))
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var runsDriverSafety = config == Ds || config == SdkDs;
        var wanted = runsDriverSafety ? expected : new Dictionary<string, int>();
        if (findings.Count != wanted.Count || findings.Any(f => !wanted.TryGetValue(f.Key, out var n) || n != f.Value))
        {
            throw new InvalidOperationException(
                $"{what} reported {string.Join(", ", findings.Select(f => $"{f.Key} x{f.Value}"))}, " +
                $"expected {string.Join(", ", wanted.Select(f => $"{f.Key} x{f.Value}"))}:\n{output}");
        }
    }

    private static void WriteSize(TextWriter output, int size, IReadOnlyList<Config> configs, Dictionary<(int, string), List<Sample>> results)
    {
        output.WriteLine("| Configuration | Wall (median) | CPU (median) | Peak RSS (median) | Wall, every round |");
        output.WriteLine("|---|---:|---:|---:|---|");
        foreach (var config in configs)
        {
            var samples = results[(size, config.Name)];
            output.WriteLine($"| {config.Description} | {Median(samples.Select(s => s.WallSeconds)):F2} s | {Median(samples.Select(s => s.CpuSeconds)):F2} s | " +
                $"{Median(samples.Select(s => (double)s.PeakKilobytes)) / 1024:F0} MB | {string.Join(", ", samples.Select(s => s.WallSeconds.ToString("F1", CultureInfo.InvariantCulture)))} |");
        }

        output.WriteLine();
        output.WriteLine("Paired ratios (median over rounds of each round's ratio):");
        output.WriteLine();
        output.WriteLine("| Pair | Wall | CPU | Peak RSS |");
        output.WriteLine("|---|---:|---:|---:|");
        foreach (var (a, b, label) in new[]
        {
            (SdkDs, Sdk, "SDK analyzers + DriverSafety / SDK analyzers (the marginal cost a user sees)"),
            (Ds, Empty, "DriverSafety alone / empty analyzer (our cost above the driver's floor)"),
            (Empty, None, "empty analyzer / no analyzers (the analyzer driver's floor)"),
            (Cfg, Empty, "binding+CFG only / empty analyzer (what asking for operation trees and CFGs costs)"),
            (Ds, Cfg, "DriverSafety alone / binding+CFG only (our own work above any flow analyzer's floor)"),
            (Ds, None, "DriverSafety alone / no analyzers"),
            (Ca2000, Empty, "CA2000 alone / empty analyzer"),
            (Idisp, Empty, "IDisposableAnalyzers / empty analyzer"),
            (Ds, Ca2000, "DriverSafety alone / CA2000 alone"),
        })
        {
            if (!results.TryGetValue((size, a.Name), out var x) || !results.TryGetValue((size, b.Name), out var y))
            {
                continue;
            }

            var pairs = x.Zip(y).ToList();
            output.WriteLine($"| {label} | {Median(pairs.Select(p => p.First.WallSeconds / p.Second.WallSeconds)):F3} | " +
                $"{Median(pairs.Select(p => p.First.CpuSeconds / p.Second.CpuSeconds)):F3} | {Median(pairs.Select(p => (double)p.First.PeakKilobytes / p.Second.PeakKilobytes)):F3} |");
        }

        output.WriteLine();
    }

    private static void WriteScaling(TextWriter output, int[] sizes, IReadOnlyList<Config> configs, Dictionary<(int, string), List<Sample>> results)
    {
        if (sizes.Length < 2)
        {
            return;
        }

        output.WriteLine("## Scaling (median wall time, and the ratio to the previous size)");
        output.WriteLine();
        output.WriteLine("| Configuration | " + string.Join(" | ", sizes.Select(s => $"{s:N0} lines")) + " |");
        output.WriteLine("|---|" + string.Concat(sizes.Select(_ => "---:|")));
        foreach (var config in configs)
        {
            var cells = new List<string>();
            double? previous = null;
            foreach (var size in sizes)
            {
                var median = Median(results[(size, config.Name)].Select(s => s.WallSeconds));
                cells.Add(previous is { } p ? $"{median:F2} s (×{median / p:F2})" : $"{median:F2} s");
                previous = median;
            }

            output.WriteLine($"| {config.Description} | {string.Join(" | ", cells)} |");
        }

        output.WriteLine();
        output.WriteLine("DriverSafety's own cost above the empty analyzer (median of paired wall-time differences):");
        output.WriteLine();
        foreach (var size in sizes)
        {
            if (results.TryGetValue((size, Ds.Name), out var ds) && results.TryGetValue((size, Empty.Name), out var empty))
            {
                var wall = Median(ds.Zip(empty).Select(p => p.First.WallSeconds - p.Second.WallSeconds));
                var cpu = Median(ds.Zip(empty).Select(p => p.First.CpuSeconds - p.Second.CpuSeconds));
                output.WriteLine($"- {size:N0} lines: wall {wall:+0.00;-0.00} s, CPU {cpu:+0.00;-0.00} s");
            }
        }

        output.WriteLine();
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Option(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }

    private static void Dotnet(string directory, params string[] args)
    {
        var result = ChildProcess("dotnet", directory, args);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet {string.Join(' ', args)} failed in '{directory}':\n{result.Output}");
        }
    }

    private static string Describe(string command)
    {
        var parts = command.Split(' ');
        try
        {
            var result = ChildProcess(parts[0], Directory.GetCurrentDirectory(), parts.Skip(1).ToArray());
            return result.Output.Trim();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "?";
        }
    }

    private static string Git(string arguments) => Describe("git -C " + RepositoryLayout.Root + " " + arguments);

    private static string LoadAverage()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static (int ExitCode, string Output) ChildProcess(string file, string directory, params string[] args)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.WaitForExit();
        return (process.ExitCode, output.ToString());
    }
}
