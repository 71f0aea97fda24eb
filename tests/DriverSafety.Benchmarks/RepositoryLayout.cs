namespace DriverSafety.Benchmarks;

/// <summary>Finds the repository root (the folder holding Analyzers.sln) from wherever the harness runs.</summary>
public static class RepositoryLayout
{
    public const string SolutionFileName = "Analyzers.sln";

    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The repository root.</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>The sample driver's project folder.</summary>
    public static string SampleDriverDirectory => Path.Combine(Root, "sample-driver", "DriverSafety.SampleDriver");

    private static string FindRoot()
    {
        // BenchmarkDotNet runs each benchmark from a generated project under bin/, so both the working directory and
        // the assembly's folder are tried; either lies inside the repository.
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, SolutionFileName)))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException(
            $"No folder containing {SolutionFileName} above '{Directory.GetCurrentDirectory()}' or '{AppContext.BaseDirectory}'.");
    }
}
