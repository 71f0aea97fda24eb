using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Benchmarks;

/// <summary>One executable body, bound and turned into its control-flow graph.</summary>
public sealed record ExecutableBody(IMethodSymbol Method, SyntaxNode Declaration, ControlFlowGraph Cfg)
{
    /// <summary>Blocks of the body's CFG and of its local functions' CFGs.</summary>
    public int Blocks => CountBlocks(Cfg);

    /// <summary>
    /// The bodies the analyzer analyses, in source order: methods, constructors, operators, accessors and
    /// expression-bodied properties and indexers (local functions and lambdas go with their container), less the
    /// lock primitives' own members, which the analyzer trusts.
    /// </summary>
    public static IReadOnlyList<ExecutableBody> All(Compilation compilation) => In(compilation, compilation.SyntaxTrees);

    /// <summary>As <see cref="All"/>, for the bodies of <paramref name="trees"/> only (the others stay unbound).</summary>
    public static IReadOnlyList<ExecutableBody> In(Compilation compilation, IEnumerable<SyntaxTree> trees)
    {
        var contracts = new ContractProvider(compilation, Known(compilation));
        var bodies = new List<ExecutableBody>();
        foreach (var tree in trees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var declaration in tree.GetRoot().DescendantNodes().Where(IsExecutableMember))
            {
                if (ExecutableSymbol(model, declaration) is { } method
                    && !contracts.ForMethod(method).IsTrusted
                    && model.GetOperation(OperationRoot(declaration)) is { } operation
                    && Graph(operation) is { } cfg)
                {
                    bodies.Add(new ExecutableBody(method, declaration, cfg));
                }
            }
        }

        return bodies;
    }

    /// <summary>The compilation's DriverSafety symbols; every compilation the harness analyses must reference the annotations.</summary>
    internal static KnownSymbols Known(Compilation compilation) =>
        KnownSymbols.TryCreate(compilation)
            ?? throw new InvalidOperationException($"'{compilation.AssemblyName}' does not reference DriverSafety.Annotations.");

    private static bool IsExecutableMember(SyntaxNode node) => node switch
    {
        BaseMethodDeclarationSyntax member => member.Body is not null || member.ExpressionBody is not null,
        AccessorDeclarationSyntax accessor => accessor.Body is not null || accessor.ExpressionBody is not null,
        BasePropertyDeclarationSyntax property => ExpressionBody(property) is not null,
        _ => false,
    };

    private static ArrowExpressionClauseSyntax? ExpressionBody(BasePropertyDeclarationSyntax property) => property switch
    {
        PropertyDeclarationSyntax p => p.ExpressionBody,
        IndexerDeclarationSyntax i => i.ExpressionBody,
        _ => null,
    };

    private static IMethodSymbol? ExecutableSymbol(SemanticModel model, SyntaxNode declaration) =>
        model.GetDeclaredSymbol(declaration) switch
        {
            IMethodSymbol method => method,
            IPropertySymbol property => property.GetMethod,
            _ => null,
        };

    private static SyntaxNode OperationRoot(SyntaxNode declaration) =>
        declaration is BasePropertyDeclarationSyntax property ? ExpressionBody(property)! : declaration;

    /// <summary>The control-flow graph of an executable body's root operation, or null for any other operation.</summary>
    public static ControlFlowGraph? Graph(IOperation? operation) => operation switch
    {
        IMethodBodyOperation body => ControlFlowGraph.Create(body),
        IConstructorBodyOperation body => ControlFlowGraph.Create(body),
        IBlockOperation block => ControlFlowGraph.Create(block),
        _ => null,
    };

    private static int CountBlocks(ControlFlowGraph cfg) =>
        cfg.Blocks.Length + cfg.LocalFunctions.Sum(f => CountBlocks(cfg.GetLocalFunctionControlFlowGraph(f)));
}
