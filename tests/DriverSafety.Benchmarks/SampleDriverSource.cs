using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DriverSafety.Benchmarks;

/// <summary>
/// The sample driver as one compilation, read from whatever .cs files its folder holds now (it is still being
/// written), without obj/ and bin/. The SDK's implicit global usings are re-created from its project file.
/// </summary>
public sealed class SampleDriverSource
{
    /// <summary>The SDK's implicit usings for Microsoft.NET.Sdk projects with ImplicitUsings enabled.</summary>
    private static readonly string[] SdkImplicitUsings =
    {
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks",
    };

    private SampleDriverSource(CSharpCompilation compilation, int files, int lines, int linesOfCode)
    {
        Compilation = compilation;
        Files = files;
        Lines = lines;
        LinesOfCode = linesOfCode;
    }

    public CSharpCompilation Compilation { get; }

    /// <summary>Source files read (the generated global usings file not counted).</summary>
    public int Files { get; }

    /// <summary>Physical lines of those files.</summary>
    public int Lines { get; }

    /// <summary>Lines that are neither blank nor only a comment: what "lines of code" means in the results.</summary>
    public int LinesOfCode { get; }

    public static SampleDriverSource Load() => Load(RepositoryLayout.SampleDriverDirectory);

    public static SampleDriverSource Load(string projectDirectory)
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        var paths = Directory.EnumerateFiles(projectDirectory, "*.cs", SearchOption.AllDirectories)
            .Where(path => !IsUnder(projectDirectory, path, "obj") && !IsUnder(projectDirectory, path, "bin"))
            .OrderBy(path => path, StringComparer.Ordinal)
            .ToList();
        if (paths.Count == 0)
        {
            throw new InvalidOperationException($"No .cs files under '{projectDirectory}'.");
        }

        var trees = new List<SyntaxTree>();
        var lines = 0;
        var linesOfCode = 0;
        foreach (var path in paths)
        {
            var text = File.ReadAllText(path);
            var tree = CSharpSyntaxTree.ParseText(text, parseOptions, path);
            trees.Add(tree);
            var (physical, code) = CountLines(tree);
            lines += physical;
            linesOfCode += code;
        }

        var usings = GlobalUsings(Directory.GetFiles(projectDirectory, "*.csproj").Single());
        trees.Add(CSharpSyntaxTree.ParseText(
            string.Concat(usings.Select(u => $"global using {u};\n")), parseOptions, Path.Combine(projectDirectory, "GlobalUsings.g.cs")));

        var compilation = CSharpCompilation.Create(
            "DriverSafety.SampleDriver",
            trees,
            DriverSafety.Tests.Verification.TestReferences.Framework.Add(DriverSafety.Tests.Verification.TestReferences.Annotations),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        return new SampleDriverSource(compilation, paths.Count, lines, linesOfCode);
    }

    /// <summary>The compiler errors of the compilation (the sample driver may be mid-edit).</summary>
    public IReadOnlyList<Diagnostic> Errors() =>
        Compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();

    /// <summary>The SDK's implicit usings, less the project's <c>Using Remove</c> items, plus its <c>Using Include</c> items.</summary>
    private static IReadOnlyList<string> GlobalUsings(string projectFile)
    {
        var project = XDocument.Load(projectFile);
        var items = project.Descendants().Where(e => e.Name.LocalName == "Using").ToList();
        var implicitOn = project.Descendants().Any(e => e.Name.LocalName == "ImplicitUsings" && e.Value.Trim() is "enable" or "true");
        var usings = implicitOn ? SdkImplicitUsings.ToList() : new List<string>();
        foreach (var item in items)
        {
            if (item.Attribute("Remove")?.Value is { } removed)
            {
                usings.Remove(removed);
            }

            if (item.Attribute("Include")?.Value is { } included && !usings.Contains(included))
            {
                usings.Add(included);
            }
        }

        return usings;
    }

    private static (int Physical, int Code) CountLines(SyntaxTree tree)
    {
        var text = tree.GetText();
        var root = tree.GetRoot();
        var code = 0;
        foreach (var line in text.Lines)
        {
            if (line.Span.IsEmpty || string.IsNullOrWhiteSpace(text.ToString(line.Span)))
            {
                continue;
            }

            // A line counts when some token (not trivia) starts or ends on it.
            var hasToken = root.DescendantTokens(line.Span).Any(t => t.Span.IntersectsWith(line.Span) && !t.Span.IsEmpty);
            if (hasToken)
            {
                code++;
            }
        }

        return (text.Lines.Count, code);
    }

    /// <summary>Whether <paramref name="path"/> lies in the top-level <paramref name="folder"/> of <paramref name="root"/>.</summary>
    private static bool IsUnder(string root, string path, string folder)
    {
        var first = Path.GetRelativePath(root, path).Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)[0];
        return first.Equals(folder, StringComparison.OrdinalIgnoreCase);
    }
}
