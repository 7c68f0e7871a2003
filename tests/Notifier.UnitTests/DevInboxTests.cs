using FlexWhere.Notifier.DevInbox;

namespace FlexWhere.Notifier.UnitTests;

public class DevInboxTests
{
    [Fact]
    public void Lists_messages_newest_first_and_keeps_only_the_last_ones()
    {
        var inbox = new DevSmsInbox(capacity: 2);
        var start = DateTimeOffset.UnixEpoch;
        inbox.Add(new DevSms("+31600000001", "first", start));
        inbox.Add(new DevSms("+31600000002", "second", start.AddSeconds(1)));
        inbox.Add(new DevSms("+31600000003", "third", start.AddSeconds(2)));

        var listed = DevInboxApi.ListMessages(inbox).Value!;

        Assert.Equal(["third", "second"], listed.Select(sms => sms.Body));
    }

    [Fact]
    public void The_page_shows_the_messages_html_encoded()
    {
        var inbox = new DevSmsInbox();
        inbox.Add(new DevSms("+31612345678", "Your <b>code</b> is 123456", DateTimeOffset.UnixEpoch));

        var page = DevInboxApi.ViewMessages(inbox);

        Assert.Equal("text/html; charset=utf-8", page.ContentType);
        Assert.Contains("Your &lt;b&gt;code&lt;/b&gt; is 123456", page.ResponseContent);
        Assert.DoesNotContain("<b>code</b>", page.ResponseContent);
    }
}
