using System.Globalization;

namespace DriverSafety.Benchmarks;

/// <summary>
/// <c>--compiler-runs</c>: the compiler alone, without MSBuild around it. For each configuration the corpus project is
/// built once with detailed logging to capture the exact <c>csc</c> command line the build runs (every reference,
/// analyzer and option), which is written to a response file; then paired rounds run <c>csc @file</c> directly under
/// <c>/usr/bin/time</c>, rotated per round as in <c>--builds</c>, and one more run per configuration with
/// <c>/reportanalyzer</c> reads the time the compiler spent in the analyzers' callbacks. Without MSBuild's own seconds
/// of CPU in every sample, DriverSafety's share of a compilation shows with less noise than in whole builds; the issue's
/// targets are still read from <c>--builds</c>.
/// </summary>
public static partial class BuildBenchmark
{
    public static int RunCompiler(string[] args, TextWriter output)
    {
        var sizes = Option(args, "--sizes", "50000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var rounds = int.Parse(Option(args, "--rounds", "5"), CultureInfo.InvariantCulture);
        var configs = Option(args, "--configs", "empty,cfg,ds").Split(',').Select(name => All.Single(c => c.Name == name)).ToList();
        var work = Option(args, "--work", Path.Combine(Path.GetTempPath(), "driversafety-build-benchmark"));

        var started = DateTime.UtcNow;
        output.WriteLine($"# Compiler runs, {started:yyyy-MM-dd HH:mm} UTC, commit {Git("rev-parse --short HEAD")}");
        output.WriteLine();
        output.WriteLine($"Machine: {Environment.ProcessorCount} cores; {Describe("uname -sr")}; .NET SDK {Describe("dotnet --version")}; load average at start {LoadAverage()}.");
        output.WriteLine($"Rounds: {rounds} per size of `csc @<config>.rsp` (the build's own command line), order rotated per round, after one untimed run per configuration.");
        output.WriteLine();

        var inputs = Prepare(output);
        foreach (var size in sizes)
        {
            var (directory, expected) = SetUpCorpus(size, work, inputs, output);
            var commands = configs.ToDictionary(c => c.Name, c => CaptureCompilerCommand(directory, c), StringComparer.Ordinal);
            var results = new Dictionary<(int Size, string Config), List<Sample>>();
            PairedRounds(configs, rounds, size, results, config => Compile(directory, commands[config.Name], config, expected));
            WriteSize(output, size, configs, results);
            output.WriteLine("Time in analyzer callbacks (`/reportanalyzer`, one more run each; wall summed over threads, read it beside the CPU, not as it):");
            output.WriteLine();
            foreach (var config in configs)
            {
                output.WriteLine($"- {config.Description}: {AnalyzerTime(directory, commands[config.Name])}");
            }

            output.WriteLine();
            output.Flush();
        }

        output.WriteLine($"Finished {DateTime.UtcNow:HH:mm} UTC ({(DateTime.UtcNow - started).TotalMinutes:F0} min); load average at the end {LoadAverage()}.");
        return 0;
    }

    /// <summary>The compiler and its arguments, as the build of <paramref name="config"/> runs them (from its detailed log).</summary>
    private static (string Compiler, string ResponseFile) CaptureCompilerCommand(string directory, Config config)
    {
        var result = ChildProcess("dotnet", directory,
            "build", "Corpus.csproj", "--no-restore", "-c", "Release", "--no-incremental", "-nodeReuse:false", "-tl:off", "-v:d",
            $"-p:BenchConfig={config.Name}");
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"The {config.Name} build failed:\n{result.Output}");
        }

        // The Csc task logs the command it runs on one line: the compiler's path, then its arguments from /noconfig on.
        foreach (var line in result.Output.Split('\n'))
        {
            var text = line.Trim();
            var arguments = text.IndexOf(" /noconfig ", StringComparison.Ordinal);
            if (arguments > 0 && Path.GetFileNameWithoutExtension(text.Substring(0, arguments).Trim('"')) is "csc" &&
                File.Exists(text.Substring(0, arguments).Trim('"')))
            {
                var responseFile = Path.Combine(directory, $"{config.Name}.rsp");
                File.WriteAllText(responseFile, text.Substring(arguments + 1).Replace("/noconfig ", string.Empty, StringComparison.Ordinal) + "\n");
                return (text.Substring(0, arguments).Trim('"'), responseFile);
            }
        }

        throw new InvalidOperationException($"No csc command line in the {config.Name} build's log:\n{result.Output}");
    }

    private static Sample Compile(string directory, (string Compiler, string ResponseFile) command, Config config, IReadOnlyDictionary<string, int> expected)
    {
        var timeFile = Path.Combine(directory, "time.txt");
        var result = ChildProcess("/usr/bin/time", directory, "-f", "%e %U %S %M", "-o", timeFile, command.Compiler, "/noconfig", "@" + command.ResponseFile);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"csc for {config.Name} failed:\n{result.Output}");
        }

        CheckFindings(result.Output, config, expected, $"csc for {config.Name}");
        return ReadTime(timeFile);
    }

    /// <summary>The compiler's own account of its analyzers' callbacks (wall time summed over threads: read it beside the CPU, not as it).</summary>
    private static string AnalyzerTime(string directory, (string Compiler, string ResponseFile) command)
    {
        var result = ChildProcess(command.Compiler, directory, "/noconfig", "@" + command.ResponseFile, "/reportanalyzer");
        var line = result.Output.Split('\n').FirstOrDefault(l => l.Contains("Total analyzer execution time:", StringComparison.Ordinal));
        return line is null ? "-" : line.Substring(line.IndexOf(':', StringComparison.Ordinal) + 1).Trim().Replace(" seconds.", " s", StringComparison.Ordinal);
    }
}
