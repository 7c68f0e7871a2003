using FlexWhere.Messaging;

namespace FlexWhere.Notifier.UnitTests;

public class BrokerAddressTests
{
    [Fact]
    public void One_node_is_its_uri_and_one_node()
    {
        var broker = BrokerAddress.Parse("amqp://flexwhere:secret@rabbit:5673/prod")!;

        Assert.Equal(new Uri("amqp://flexwhere:secret@rabbit:5673/prod"), broker.Uri);
        Assert.Equal(["rabbit:5673"], broker.Nodes);
        Assert.False(broker.IsCluster);
    }

    [Fact]
    public void A_cluster_lists_its_nodes_in_order_and_each_shares_the_credentials_and_virtual_host()
    {
        var broker = BrokerAddress.Parse("amqp://flexwhere:p%40ss@rabbit-b:5672,rabbit-a,10.0.0.3:5680/prod")!;

        Assert.True(broker.IsCluster);
        Assert.Equal(["rabbit-b:5672", "rabbit-a:5672", "10.0.0.3:5680"], broker.Nodes);
        Assert.Equal("rabbit-b", broker.Uri.Host);
        Assert.Equal("flexwhere:p%40ss", broker.Uri.UserInfo);
        Assert.Equal("/prod", broker.Uri.AbsolutePath);
    }

    [Fact]
    public void Amqps_nodes_without_a_port_use_5671()
    {
        Assert.Equal(["rabbit-a:5671", "rabbit-b:5671"], BrokerAddress.Parse("amqps://u:p@rabbit-a,rabbit-b")!.Nodes);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not a uri")]
    [InlineData("http://u:p@rabbit:5672")]
    [InlineData("amqp://u:p@")]
    [InlineData("amqp://u:p@rabbit-a:5672,,rabbit-b:5672")]
    [InlineData("amqp://u:p@rabbit-a:5672, rabbit-b:5672")]
    [InlineData("amqp://u:p@rabbit-a:5672,rabbit-b:notaport")]
    [InlineData("amqp://u:p@rabbit-a:5672,")]
    public void Anything_else_is_refused(string? value)
    {
        Assert.Null(BrokerAddress.Parse(value));
    }
}
