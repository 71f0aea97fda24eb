using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DriverSafety.CodeFixes.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.CodeFixes
{
    /// <summary>
    /// DRV3005 on a <c>[RequiresNotState]</c> call: "Return -EINVAL if 'obj' is 'imported'" — before the statement that
    /// makes the call, the guard that tests the target with its type's <c>[StateTest]</c> member and returns an error code
    /// the method already returns (<c>if (obj.ImportAttach != null) { return -Errno.EINVAL; }</c>, vgem's fix for seed 001,
    /// forwarding aside). Offered only where the target's type has such a member (a bool field, property or
    /// parameterless method, or a reference-typed field or property, testing the target itself), the call is in a
    /// statement of a block, and the method has a <c>return</c> of a negative constant to copy.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(InsertStateGuardCodeFix))]
    [Shared]
    public sealed class InsertStateGuardCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = nameof(InsertStateGuardCodeFix);
        private const string NotInState = "not to be in state";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("DRV3005");

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null || model is null)
            {
                return;
            }

            foreach (var diagnostic in context.Diagnostics)
            {
                if (MessageArguments.Of(diagnostic, 2) != NotInState || MessageArguments.Of(diagnostic, 1) is not { } target || MessageArguments.Of(diagnostic, 3) is not { } state)
                {
                    continue;
                }

                var call = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                var statement = call.AncestorsAndSelf().OfType<StatementSyntax>().FirstOrDefault();
                var member = call.Ancestors().FirstOrDefault(a => a is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax or AccessorDeclarationSyntax);
                if (member is not BaseMethodDeclarationSyntax method || method.Body is null)
                {
                    // Only a method with a block body: an expression body has no statement to put the guard before.
                    continue;
                }

                if (statement is null || statement.Parent is not BlockSyntax || ErrorReturn(method, model, context.CancellationToken) is not { } error ||
                    Test(model, statement.SpanStart, target, state, context.CancellationToken) is not { } test)
                {
                    continue;
                }

                context.RegisterCodeFix(CodeAction.Create($"Return {error} if '{target}' is '{state}'",
                    _ => Task.FromResult(Insert(context.Document, root, statement, test, error)), EquivalenceKey), diagnostic);
            }
        }

        private static Document Insert(Document document, SyntaxNode root, StatementSyntax statement, string test, string error)
        {
            var guard = SyntaxFactory.ParseStatement($"if ({test})\n{{\n    return {error};\n}}\n")
                .WithAdditionalAnnotations(Formatter.Annotation);
            var block = (BlockSyntax)statement.Parent!;
            var index = block.Statements.IndexOf(statement);
            var updated = block.WithStatements(block.Statements.Insert(index, guard.WithLeadingTrivia(statement.GetLeadingTrivia())));
            return document.WithSyntaxRoot(root.ReplaceNode(block, updated));
        }

        /// <summary>The first <c>return</c> of a negative constant in the method's own body (not its lambdas), as written.</summary>
        private static string? ErrorReturn(BaseMethodDeclarationSyntax method, SemanticModel model, CancellationToken cancellation)
        {
            foreach (var node in method.Body!.DescendantNodes(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)).OfType<ReturnStatementSyntax>())
            {
                if (node.Expression is { } expression && model.GetConstantValue(expression, cancellation) is { HasValue: true, Value: var value } &&
                    value is int or long or short or sbyte && System.Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) < 0)
                {
                    return expression.ToString();
                }
            }

            return null;
        }

        /// <summary>The condition under which <paramref name="target"/> is in <paramref name="state"/>, from its type's <c>[StateTest]</c> member.</summary>
        private static string? Test(SemanticModel model, int position, string target, string state, CancellationToken cancellation)
        {
            var expression = SyntaxFactory.ParseExpression(target);
            var type = model.GetSpeculativeTypeInfo(position, expression, SpeculativeBindingOption.BindAsExpression).Type;
            for (var current = type; current is not null; current = current.BaseType)
            {
                foreach (var member in current.GetMembers())
                {
                    var attribute = member.GetAttributes().FirstOrDefault(a =>
                        a.AttributeClass?.Name == "StateTestAttribute" && a.AttributeClass.ContainingNamespace?.Name == "DriverSafety" &&
                        a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value as string == state);
                    if (attribute is null || attribute.NamedArguments.Any(p => p.Key == "Target" && p.Value.Value is string t && t != "this"))
                    {
                        continue;
                    }

                    switch (member)
                    {
                        case IFieldSymbol { Type.SpecialType: SpecialType.System_Boolean } or IPropertySymbol { Type.SpecialType: SpecialType.System_Boolean }:
                            return $"{target}.{member.Name}";
                        case IFieldSymbol { Type.IsReferenceType: true } or IPropertySymbol { Type.IsReferenceType: true }:
                            return $"{target}.{member.Name} != null";
                        case IMethodSymbol { Parameters.Length: 0, ReturnType.SpecialType: SpecialType.System_Boolean }:
                            return $"{target}.{member.Name}()";
                    }
                }
            }

            return null;
        }
    }
}
