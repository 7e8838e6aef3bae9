package dev.goingaway.web;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

import dev.goingaway.testing.Await;

/**
 * The chat page as a person uses it — type a room, press Join, type a line, press Enter — and
 * reads back what the page shows. Reading goes through the DOM the person sees: the status
 * line and the message list.
 */
final class ChatPage {

    /** One entry of the message list, as shown. */
    record Line(String kind, String id, String status, String notice, String who, String text, String statusText,
                int sends, String code) {
    }

    private static final Duration WAIT = Duration.ofSeconds(20);

    private static final String READ_LINES = """
            return Array.from(document.querySelectorAll('#log li')).map((li) => ({
              kind: li.dataset.kind || '',
              id: li.dataset.id || '',
              status: li.dataset.status || '',
              notice: li.dataset.notice || '',
              who: li.querySelector('.who')?.textContent || li.querySelector('.title')?.textContent || '',
              text: li.querySelector('.text')?.textContent ?? li.textContent,
              statusText: li.querySelector('.status')?.textContent || '',
              sends: li.dataset.sends || '0',
              code: li.dataset.code || '',
            }));""";

    private final Browser browser;
    private final ChromeDriver driver;

    ChatPage(Browser browser) {
        this.browser = browser;
        this.driver = browser.driver();
    }

    String name() {
        return browser.name();
    }

    Browser browser() {
        return browser;
    }

    /** Loads the page and waits until its script has run. */
    ChatPage open(URI page) {
        driver.get(page.toString());
        Await.until(name() + ": page script ran", WAIT, () -> "true".equals(
                driver.findElement(By.tagName("html")).getDomAttribute("data-ready")));
        return this;
    }

    void reload() {
        driver.navigate().refresh();
        Await.until(name() + ": page script ran after reload", WAIT, () -> "true".equals(
                driver.findElement(By.tagName("html")).getDomAttribute("data-ready")));
    }

    void join(String room) {
        WebElement input = driver.findElement(By.id("room"));
        input.clear();
        input.sendKeys(room);
        driver.findElement(By.cssSelector("#join button")).click();
    }

    /** Types a line and presses Enter, as a person would. */
    void say(String text) {
        WebElement input = driver.findElement(By.id("text"));
        Await.until(name() + ": message box enabled", WAIT, input::isEnabled);
        input.sendKeys(text, Keys.ENTER);
    }

    /**
     * Submits {@code count} messages through the page's own form, one every {@code everyMillis},
     * like a fast typist or a paste, without waiting: returns at once while the page keeps going.
     */
    void burst(String prefix, int count, int everyMillis) {
        driver.executeScript("""
                const [prefix, count, every] = arguments;
                const input = document.getElementById('text');
                const form = document.getElementById('compose');
                let i = 0;
                const timer = setInterval(() => {
                  i++;
                  input.value = prefix + i;
                  form.requestSubmit();
                  if (i >= count) {
                    clearInterval(timer);
                  }
                }, every);""", prefix, count, everyMillis);
    }

    String state() {
        return driver.findElement(By.id("state")).getDomAttribute("data-state");
    }

    String instance() {
        return driver.findElement(By.id("instance")).getText();
    }

    String total() {
        return driver.findElement(By.id("total")).getText();
    }

    String pending() {
        return driver.findElement(By.id("pending")).getText();
    }

    String sessionId() {
        return driver.findElement(By.id("session")).getDomAttribute("title");
    }

    /** The goodbye/reconnect banner's text, or null while it is hidden. */
    String banner() {
        WebElement banner = driver.findElement(By.id("banner"));
        return banner.isDisplayed() ? banner.getText() : null;
    }

    /**
     * From now on, records every text the banner shows (a MutationObserver in the page): a
     * banner can come and go between two polls when the reconnect is quick.
     */
    void recordBanners() {
        driver.executeScript("""
                const b = document.getElementById('banner');
                window.__bannersShown = [];
                new MutationObserver(() => {
                  if (!b.hidden && b.textContent) window.__bannersShown.push(b.textContent);
                }).observe(b, { childList: true, characterData: true, subtree: true, attributes: true });
                """);
    }

    /** The banner texts seen since {@link #recordBanners()}, in order. */
    @SuppressWarnings("unchecked")
    List<String> bannersShown() {
        return (List<String>) driver.executeScript("return window.__bannersShown || [];");
    }

    @SuppressWarnings("unchecked")
    List<Line> lines() {
        List<Map<String, Object>> raw = (List<Map<String, Object>>) driver.executeScript(READ_LINES);
        return raw.stream().map(m -> new Line(s(m, "kind"), s(m, "id"), s(m, "status"), s(m, "notice"), s(m, "who"),
                s(m, "text"), s(m, "statusText"), Integer.parseInt(s(m, "sends")), s(m, "code"))).toList();
    }

    List<Line> lines(String kind) {
        return lines().stream().filter(l -> l.kind().equals(kind)).toList();
    }

    List<Line> notices(String notice) {
        return lines().stream().filter(l -> l.kind().equals("notice") && l.notice().equals(notice)).toList();
    }

    /** Waits until the page is connected (welcomed) to the named instance. */
    void awaitConnectedTo(String instance) {
        Await.until(name() + ": connected to " + instance + " (state/instance now " + describe() + ")", WAIT,
                () -> "open".equals(state()) && instance.equals(instance()));
    }

    String describe() {
        return state() + "/" + instance() + " total " + total() + " pending " + pending();
    }

    private static String s(Map<String, Object> m, String key) {
        return Objects.toString(m.get(key), "");
    }
}
