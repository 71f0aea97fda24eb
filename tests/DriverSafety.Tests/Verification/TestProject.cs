using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace DriverSafety.Tests.Verification;

/// <summary>
/// Builds the one-project <see cref="AdhocWorkspace"/> a test runs in. Analyzer verification uses it today;
/// code-fix and FixAll verification will start from the same project.
/// </summary>
public static class TestProject
{
    /// <summary>The file name of the <paramref name="index"/>th test document.</summary>
    public static string DocumentName(int index) => $"Test{index}.cs";

    /// <summary>
    /// A C# library project (latest language version, nullable enabled, no unsafe code) holding
    /// <paramref name="sources"/> as Test0.cs, Test1.cs, ... and, when asked, the <see cref="Prelude"/>.
    /// </summary>
    public static Project Create(IReadOnlyList<string> sources, bool referenceAnnotations, bool includePrelude)
    {
        if (includePrelude && !referenceAnnotations)
        {
            throw new ArgumentException("The prelude uses DriverSafety.Annotations: it cannot be included without referencing them.");
        }

        var references = referenceAnnotations
            ? TestReferences.Framework.Add(TestReferences.Annotations)
            : TestReferences.Framework;

        var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId("TestProject");
        var projectInfo = ProjectInfo.Create(
            projectId,
            VersionStamp.Default,
            name: "TestProject",
            assemblyName: "TestProject",
            language: LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable,
                allowUnsafe: false),
            parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
            metadataReferences: references);

        var solution = workspace.CurrentSolution.AddProject(projectInfo);
        for (var i = 0; i < sources.Count; i++)
        {
            solution = AddDocument(solution, projectId, DocumentName(i), sources[i]);
        }

        if (includePrelude)
        {
            solution = AddDocument(solution, projectId, Prelude.FileName, Prelude.Source);
        }

        return solution.GetProject(projectId)!;
    }

    /// <summary>The compilation of <paramref name="project"/>; fails the test on compiler errors unless they are allowed.</summary>
    public static async Task<Compilation> CompileAsync(Project project, bool allowCompilerErrors)
    {
        var compilation = await project.GetCompilationAsync().ConfigureAwait(false)
            ?? throw new InvalidOperationException("The test project produced no compilation.");
        if (!allowCompilerErrors)
        {
            var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (errors.Count > 0)
            {
                Assert.Fail("The test source does not compile (a test on code that does not compile proves nothing; " +
                    "pass allowCompilerErrors: true for incomplete-code tests):" + Environment.NewLine +
                    string.Join(Environment.NewLine, errors.Select(e => "  " + e)));
            }
        }

        return compilation;
    }

    private static Solution AddDocument(Solution solution, ProjectId projectId, string name, string text) =>
        solution.AddDocument(DocumentId.CreateNewId(projectId, name), name, text, filePath: name);
}
